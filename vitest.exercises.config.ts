// The exercises' checks (steps/NN-*/exercises/K.test.ts): run by `pnpm exercise NN.K`, never by `pnpm test`,
// so a lesson's own suite stays green while its exercises wait to be solved.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['steps/*/exercises/*.test.ts'],
    // Hang guards, as in vitest.config.ts: a check that starts a lesson's servers took over 20 s on a slow 2-core runner.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A failed check's line shows what was expected and what came, whole (vitest cuts at 40 characters).
    chaiConfig: { truncateThreshold: 300 },
  },
});
