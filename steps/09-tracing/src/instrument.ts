// Loaded with `node --import` ahead of the program (the step runner does it
// for this lesson): installs the loader hook that lets OpenTelemetry wrap ES
// modules as they load, then starts the SDK, all before any module imports
// @grpc/grpc-js.
import { register as registerAsync } from 'node:module';
import { register, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';

// Only grpc-js needs wrapping: left to wrap every module, the hook also tries
// the lessons' own TypeScript files and warns on each (seen on Node 24).
const include = ['@grpc/grpc-js'];
// In-thread hooks (module.registerHooks) where this Node runs them correctly
// (22.22.3, 24.11.1, 26 and later); else the loader thread of module.register,
// which Node 26 deprecates.
if (supportsSyncHooks()) register({ include });
else registerAsync('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include } });

// A dynamic import: a static one would be hoisted above the hook and load the
// SDK's dependencies before it is in place.
const { startTracing } = await import('./tracing.js');
const sdk = startTracing();

// Flush what is buffered when the program ends on its own (the runner lets it).
// A failed flush rejects; the exporter has already said why, in one line.
process.once('beforeExit', () => {
  sdk.shutdown().catch(() => {});
});
