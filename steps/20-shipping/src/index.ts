// Lesson 20's public face: the probe listener, the servers that have one, the gateway with HTTP probes, the deploy bundle, and calls in flight across a stop.
export * from './bundle.js';
export * from './certs.js';
export * from './gateway.js';
export * from './in-flight.js';
export * from './probes.js';
export * from './server.js';
