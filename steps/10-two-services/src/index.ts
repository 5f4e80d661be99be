// Lesson 10's public face: the Logger service, its client, and the Greeter that logs to it.
export * from './logger-client.js';
export * from './logger-service.js';
export * from './proto.js';
export * from './server.js';
