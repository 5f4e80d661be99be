// Lesson 09's public face: the tracing setup and the server that logs trace ids.
export * from './server.js';
export * from './tracing.js';
