// Lesson 03's public face: the chat room, its server, a chat member, and the stall proxy.
export * from './client.js';
export * from './room.js';
export * from './server.js';
export * from './stall.js';
