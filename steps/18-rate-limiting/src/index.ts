// Lesson 18's public face: the limits, the RetryInfo details, the client that waits them out, and the limited Greeter.
export * from './client.js';
export * from './limits.js';
export * from './server.js';
export * from './status-details.js';
