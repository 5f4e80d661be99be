// Lesson 18's Greeter, unchanged: the gateway (gateway.ts) stands in front of
// it as an ordinary gRPC client, so limits, auth, TLS and the rest all apply.
// The previous step's Greeter, imported here and nowhere else.
export {
  DEFAULT_LIMITS,
  type LimitedGreeterHandle as GreeterHandle,
  type LimitedGreeterOptions as GreeterOptions,
  startGreeterServer,
} from '@course/18-rate-limiting';
