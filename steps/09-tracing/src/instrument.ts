// Loaded with `node --import` ahead of the program (the step runner does it
// for this lesson): registers the ESM loader hook, then starts the SDK, all
// before any module imports @grpc/grpc-js.
import { register } from 'node:module';

// Only grpc-js needs wrapping: left to wrap every module, the hook also tries
// the lessons' own TypeScript files and warns on each (seen on Node 24).
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: ['@grpc/grpc-js'] } });

// A dynamic import: a static one would be hoisted above register() and load
// the SDK's dependencies before the hook is in place.
const { startTracing } = await import('./tracing.js');
const sdk = startTracing();

// Flush what is buffered when the program ends on its own (the runner lets it).
// A failed flush rejects; the exporter has already said why, in one line.
process.once('beforeExit', () => {
  sdk.shutdown().catch(() => {});
});
