// Lesson 01's public face: what later steps import instead of copying.
export * from './client.js';
export { nameFlag, showSayHello } from './lesson.js';
export * from './proto.js';
export * from './server.js';
