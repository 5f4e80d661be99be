// Lesson 08's public face: the metric families, their interceptors, the exporter, and the server and client that use them.
export * from './client.js';
export * from './exporter.js';
export * from './metrics.js';
export * from './server.js';
