// Sampled or not: every log line that carries a trace id also says `trace_sampled` (true or false, from the span context's traceFlags), so you know whether to look for the trace.
import { sayHello } from '@course/01-unary';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { printed } from '@course/kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Traced, tracedLesson } from './traced.js';

let traced: Traced;
beforeAll(async () => {
  traced = await tracedLesson();
});
afterAll(() => traced.close());

/** The `served` line a traced `serve` writes for one SayHello. */
async function servedLine(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const serve = traced.start(['serve', '--port', '0'], env);
  const port = (await serve.listening).split(':').at(-1);
  const client = createGreeterClient(`localhost:${port}`, { ca: traced.certs.ca, token: 'trace-exercise-token' });
  try {
    await sayHello(client, 'Ada');
    const [line = ''] = await printed(serve, /^\{.*"msg":"served".*\}$/m);
    return JSON.parse(line) as Record<string, unknown>;
  } finally {
    client.close();
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
}

it('writes trace_sampled: true next to the trace id when the call is sampled (the default)', async () => {
  const line = await servedLine({});
  expect(line.trace_id, 'trace_id').toMatch(/^[0-9a-f]{32}$/);
  expect(line.trace_sampled, 'trace_sampled').toBe(true);
});

it('writes trace_sampled: false with OTEL_TRACES_SAMPLER=always_off, the trace id still there', async () => {
  const line = await servedLine({ OTEL_TRACES_SAMPLER: 'always_off' });
  expect(line.trace_id, 'trace_id').toMatch(/^[0-9a-f]{32}$/);
  expect(line.trace_sampled, 'trace_sampled').toBe(false);
});
