// Lesson 12's public face: the backend that names itself, the balancing client, the DNS server, the failover measurement.
export * from './backend.js';
export * from './client.js';
export * from './dns-server.js';
export * from './failover.js';
