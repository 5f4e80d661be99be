// Lesson 13's public face: the flaky, deadline-aware backend and the retrying client's service config.
export * from './client.js';
export * from './server.js';
