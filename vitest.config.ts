// One vitest project per step (named by its folder), plus the kit and the course tooling:
// `pnpm test` runs them all, `pnpm test --project 01-unary` runs one. The timeouts are hang guards, not
// timing goals: on a slow 2-core runner a lesson's real servers start in seconds, not milliseconds.
import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const steps = readdirSync('steps', { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

export default defineConfig({
  test: {
    // The real servers and clients the tests drive (Prometheus, Python grpcio, ...): installed or named first.
    globalSetup: ['kit/src/test-setup.ts'],
    projects: [
      ...steps.map((name) => ({
        test: { name, root: `steps/${name}`, include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
      })),
      // maxConcurrency: the interop check starts every lesson's `serve` (with its Logger, proxies) and a Python
      // client; two at a time keep a 2-core runner from starving the other test files.
      { test: { name: 'kit', root: 'kit', include: ['test/**/*.test.ts'], testTimeout: 60_000, maxConcurrency: 2 } },
      { test: { name: 'tooling', root: 'scripts', include: ['test/**/*.test.ts'], testTimeout: 90_000 } },
    ],
  },
});
