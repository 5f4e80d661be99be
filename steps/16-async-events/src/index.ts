// Lesson 16's public face: the event, the outbox and its relay, the brokers, the consumer, and the Greeter that publishes.
export * from './broker.js';
export * from './consumer.js';
export * from './events.js';
export * from './outbox.js';
export * from './relay.js';
export * from './server.js';
