// Lesson 09's public face: the tracing setup, the server that logs trace ids, and the interceptor alternative.
export * from './interceptors.js';
export * from './server.js';
export * from './tracing.js';
