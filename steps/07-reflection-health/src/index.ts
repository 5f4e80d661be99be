// Lesson 07's public face: health, reflection, graceful shutdown, and the server that has them.

export * from './probes.js';
export * from './server.js';
export * from './shutdown.js';
