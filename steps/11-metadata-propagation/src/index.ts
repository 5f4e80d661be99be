// Lesson 11's public face: the propagation interceptors, and the Greeter and Logger that use them.
export * from './client.js';
export * from './propagation.js';
export * from './server.js';
