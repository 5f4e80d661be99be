// Lesson 02's public face: StreamGreetings for the server, and streamGreetings for clients.
export * from './client.js';
export * from './server.js';
