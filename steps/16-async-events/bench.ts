// Lesson 16's benchmark: SayHello latency (p50, p99) with the broker up and
// with it down, on a Greeter in its own process publishing to a real
// nats-server; then the broker back, and how long the outbox takes to drain.
//
//   node --import tsx steps/16-async-events/bench.ts [--calls N] [--concurrency C] [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sayHello } from '@course/01-unary';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { row, startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { startAnalytics } from './src/consumer.js';
import { NatsBroker } from './src/nats.js';
import { startNatsServer } from './test/nats-server.js';

const STEP_DIR = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: { calls: { type: 'string' }, concurrency: { type: 'string', default: '4' }, quick: { type: 'boolean', default: false } },
});
const calls = Number(values.calls ?? (values.quick ? 400 : 4000));
const concurrency = Number(values.concurrency);
const TOKEN = 'bench-token';

const work = mkdtempSync(join(tmpdir(), 'lesson-16-bench-'));
const { certs, dir: certsDir, remove } = await temporaryCertificates('lesson-16-bench-certs-');
const store = join(work, 'nats');
let nats = await startNatsServer(store);
const consumerSide = new NatsBroker(nats.url);
const analytics = await startAnalytics(consumerSide);
const greeter = startLesson(STEP_DIR, ['serve', '--port', '0', '--outbox', join(work, 'outbox.db')], {
  env: { EVENTS_BROKER: nats.url, AUTH_TOKEN: TOKEN, CERTS_DIR: certsDir, METRICS_PORT: '0', LOG_LEVEL: 'error' },
});
const port = Number((await greeter.listening).split(':').pop());
const client = createGreeterClient(`localhost:${port}`, { ca: certs.ca, token: TOKEN });

/** n calls, `concurrency` at a time; each call's milliseconds. */
async function measure(n: number, label: string): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const start = process.hrtime.bigint();
        await sayHello(client, `${label} ${i}`);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }),
  );
  return times.sort((a, b) => a - b);
}
const at = (sorted: number[], q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0).toFixed(2);
const report = (label: string, t: number[]) =>
  row(label, `p50 ${at(t, 0.5).padStart(6)} ms   p99 ${at(t, 0.99).padStart(6)} ms   (${t.length} calls, ${concurrency} at a time)`);

try {
  await measure(Math.min(200, calls), 'warm-up');
  report('NATS up', await measure(calls, 'up'));
  await nats.stop();
  report('NATS down', await measure(calls, 'down'));
  const total = Math.min(200, calls) + 2 * calls;
  const back = Date.now();
  nats = await startNatsServer(store, nats.port);
  await analytics.until(total);
  row(
    'NATS back',
    `${calls} waiting events delivered in ${Date.now() - back} ms; consumed ${analytics.handled} of ${total}, ${analytics.duplicates} duplicates`,
  );
} finally {
  client.close();
  greeter.child.kill('SIGTERM');
  await greeter.exited;
  await analytics.stop();
  await consumerSide.close();
  await nats.stop();
  remove();
  rmSync(work, { recursive: true, force: true });
}
