// Lesson 01's public face: what later steps import instead of copying.
export * from './cli.js';
export * from './client.js';
export { nameFlag } from './lesson.js';
export * from './out.js';
export * from './process.js';
export * from './proto.js';
export * from './server.js';
