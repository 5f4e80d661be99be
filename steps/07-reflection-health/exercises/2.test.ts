// A probe port: with HEALTH_PORT set, `pnpm step 07 serve` also answers grpc.health.v1.Health in plaintext on that port, for probes that cannot speak TLS (Kubernetes' grpc probe), and nothing else there.
import { createGreeterClient as createPlainClient, sayHello } from '@course/01-unary';
import { CheckError, exitLine, howItEnded } from '@course/kit';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkHealth, createHealthClient } from '../src/index.js';
import { type Served, serveLesson } from './serve.js';

let served: Served;
let probeAddress: string;
beforeAll(async () => {
  served = await serveLesson({ HEALTH_PORT: '0' });
});
afterAll(() => served.close());

it('prints `health plaintext on 127.0.0.1:P` before `listening`', () => {
  const found = /^\s*health\s.*plaintext on (127\.0\.0\.1:\d+)/m.exec(served.serve.stdout());
  const lines = served.serve.stdout().trim().split('\n');
  if (!found?.[1])
    throw new CheckError(`no "health ... plaintext on 127.0.0.1:P" line; serve printed: ${lines.map((l) => l.trim()).join(' | ')}`);
  probeAddress = found[1];
});

it('answers Check in plaintext: SERVING for "" and for greeter.v1.Greeter', async () => {
  const probe = createHealthClient(probeAddress, grpc.credentials.createInsecure());
  try {
    expect(await checkHealth(probe, '')).toBe('SERVING');
    expect(await checkHealth(probe, 'greeter.v1.Greeter')).toBe('SERVING');
  } finally {
    probe.close();
  }
});

it('serves nothing else there: SayHello on the probe port is UNIMPLEMENTED', async () => {
  const client = createPlainClient(probeAddress);
  try {
    expect(await howItEnded(sayHello(client, 'Ada'))).toMatch(/^UNIMPLEMENTED/);
  } finally {
    client.close();
  }
});

it('tells a watcher on the probe port NOT_SERVING on SIGTERM, and the process exits 0', async () => {
  const probe = createHealthClient(probeAddress, grpc.credentials.createInsecure());
  const statuses: string[] = [];
  const watch = probe.Watch({ service: '' });
  watch.on('error', () => {});
  try {
    await new Promise<void>((resolve) => {
      watch.on('data', ({ status }: { status: string }) => {
        statuses.push(status);
        if (status === 'SERVING') served.serve.child.kill('SIGTERM');
        if (status === 'NOT_SERVING') resolve();
      });
      watch.on('close', resolve);
    });
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
    expect(exitLine(await served.serve.exited)).toBe('exit 0');
  } finally {
    probe.close();
  }
});
