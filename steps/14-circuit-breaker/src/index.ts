// Lesson 14's public face: the breaker around the Log call, and the Greeter that uses it.
export * from './breaker.js';
export * from './server.js';
