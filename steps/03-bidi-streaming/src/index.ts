// Lesson 03's public face: the chat room, its server and a chat member.
export * from './client.js';
export * from './room.js';
export * from './server.js';
