// Lesson 21's public face: the rules, the validating interceptor, the BadRequest decoder, and the validating Greeter.
export * from './client.js';
export * from './rules.js';
export * from './server.js';
export * from './validation.js';
