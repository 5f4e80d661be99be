// Lesson 19's public face: the gateway, its routes and error mapping, the OpenAPI document, and the HTTP client.
export * from './client.js';
export * from './descriptors.js';
export * from './gateway.js';
export * from './http-errors.js';
export * from './openapi.js';
export * from './routes.js';
export * from './server.js';
