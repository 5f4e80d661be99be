// Lesson 15's public face: the dashboard's panels and their queries, the load generator, and the server they watch.
export * from './dashboard.js';
export * from './load.js';
export * from './server.js';
