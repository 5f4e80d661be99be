// Lesson 04's public face: the logger, the interceptors, recovery, and the server and client that use them.
export * from './client.js';
export * from './interceptors.js';
export * from './logger.js';
export * from './recovery.js';
export * from './server.js';
