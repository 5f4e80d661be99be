// Lesson 06's public face: certificates, TLS credentials, and the server and client that use them.
export * from './client.js';
export * from './credentials.js';
export { clientMtlsFlag, lesson as tlsLesson } from './lesson.js';
export * from './server.js';
