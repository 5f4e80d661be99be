// Lesson 05's public face: the auth interceptors, caller context, and the server and client that use them.
export * from './auth.js';
export * from './client.js';
export * from './server.js';
