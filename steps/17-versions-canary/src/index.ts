// Lesson 17's public face: greeter.v2 and v1 on top of it, the deployments, the proxy and its runtime API, the clients.
export * from './client.js';
export * from './deployment.js';
export * from './proxy.js';
export * from './rollout.js';
export * from './versions.js';
