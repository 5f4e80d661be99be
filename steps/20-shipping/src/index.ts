// Lesson 20's public face: the probe listener, the servers that have one, and the deploy bundle.
export * from './bundle.js';
export * from './certs.js';
export * from './probes.js';
export * from './server.js';
