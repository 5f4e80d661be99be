// The canary for real: two deployments behind a real HAProxy, the split it
// makes, weights changed through its runtime API while calls are in flight,
// and health, reflection and auth through it; then the same split without a
// proxy, made by the client.

import { createLogger } from '@course/04-interceptors';
import { channelCredentials } from '@course/06-tls';
import { checkHealth, createHealthClient, listServices } from '@course/07-reflection-health';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { freePort } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  changeUnderLoad,
  clientFront,
  type DeploymentHandle,
  type Front,
  many,
  type ProxyHandle,
  proxyFront,
  sayHelloV1,
  split,
  startDeployment,
  startProxy,
  weights,
} from '../src/index.js';

const TOKEN = 'canary-token';
const { certs, remove } = await temporaryCertificates('course-canary-');
const quiet = {
  certs,
  token: TOKEN,
  logger: createLogger({ level: 'silent' }),
  metricsAddress: { host: '127.0.0.1', port: 0 },
  graceMs: 1_000,
  drainDelayMs: 0,
};
const tls = { ca: certs.ca, token: TOKEN };
let logger: Awaited<ReturnType<typeof startLoggerServer>>;
let stable: DeploymentHandle;
let canary: DeploymentHandle;
let proxy: ProxyHandle;
let front: Front;

beforeAll(async () => {
  logger = await startLoggerServer(quiet);
  const loggerTarget = `localhost:${logger.port}`;
  [stable, canary] = await Promise.all([
    startDeployment({ ...quiet, track: 'stable', port: 0, loggerTarget }),
    startDeployment({ ...quiet, track: 'canary', port: 0, loggerTarget }),
  ]);
  const port = await freePort();
  proxy = await startProxy({
    host: '127.0.0.1',
    port,
    stable: stable.address,
    canary: canary.address,
    canaryWeight: 10,
    certs,
    metricsAddress: { host: '127.0.0.1', port: await freePort() },
    socket: `${process.env.TMPDIR ?? '/tmp'}/course-canary-test-${port}.sock`,
  });
  // The name on the certificate, as every client since lesson 06 dials it.
  front = proxyFront(`localhost:${port}`, proxy.socket, tls);
});
afterAll(async () => {
  front?.close();
  expect(await proxy?.stop()).toBe(0);
  await Promise.all([stable?.stop(), canary?.stop()]);
  await logger?.stop();
  remove();
});

const v2Name = { given: 'Grace', family: 'Hopper' };

describe('through HAProxy', () => {
  it('splits 1,000 v1 calls 90/10 (±3 points) and sends every one of 100 v2 calls to canary', async () => {
    await front.setWeight(10);
    const v1 = split(await many(1000, () => front.v1('Ada')));
    expect(v1.failed).toBe(0);
    expect(Math.abs((v1.byVersion['1.1'] ?? 0) / 10 - 10)).toBeLessThanOrEqual(3);
    expect((v1.byVersion['1.0'] ?? 0) + (v1.byVersion['1.1'] ?? 0)).toBe(1000);
    const v2 = await many(100, () => front.v2(v2Name));
    expect(split(v2)).toEqual({ byVersion: { '1.1': 100 }, failed: 0 });
    expect(v2[0]?.message).toBe('Hello, Grace Hopper!');
  });

  it('at weight 0 sends every v1 call to stable, and v2 still to canary', async () => {
    await front.setWeight(0);
    expect(await weights(proxy.socket)).toEqual({ stable: 100, canary: 0 });
    expect(split(await many(200, () => front.v1('Ada')))).toEqual({ byVersion: { '1.0': 200 }, failed: 0 });
    expect(split(await many(20, () => front.v2(v2Name)))).toEqual({ byVersion: { '1.1': 20 }, failed: 0 });
  });

  it('an old v1 client and a new v2 client both keep working through a weight change', async () => {
    await front.setWeight(10);
    const { replies, changedAfter } = await changeUnderLoad(front, 50);
    expect(changedAfter).toBeGreaterThan(0);
    expect(split(replies).failed).toBe(0);
    const v1 = replies.filter((_, i) => i % 10 !== 9);
    const v2 = replies.filter((_, i) => i % 10 === 9);
    expect(new Set(v1.map((r) => r.message))).toEqual(new Set(['Hello, Ada!']));
    expect(new Set(v2.map((r) => r.version))).toEqual(new Set(['1.1']));
    expect(await weights(proxy.socket)).toEqual({ stable: 50, canary: 50 });
  });

  it('a rollback to 0 under load costs no call, and once it is in place no v1 call reaches canary', async () => {
    await front.setWeight(100);
    const { replies, changedAfter } = await changeUnderLoad(front, 0);
    // Each failed call as "index: code details", so a failure says which calls and why.
    expect(replies.flatMap((r, i) => (r.error ? [`${i}: ${grpc.status[r.error.code]} ${r.error.details}`] : []))).toEqual([]);
    // Up to 8 calls were already on their way when the weight changed.
    const later = replies.slice(changedAfter + 8).filter((_, i) => (changedAfter + 8 + i) % 10 !== 9);
    expect(later.length).toBeGreaterThan(300);
    expect(new Set(later.map((r) => r.version))).toEqual(new Set(['1.0']));
    // Before it, at weight 100, every v1 call went to canary.
    expect(
      new Set(
        replies
          .slice(0, 100)
          .filter((_, i) => i % 10 !== 9)
          .map((r) => r.version),
      ),
    ).toEqual(new Set(['1.1']));
  });

  it('health and reflection answer through it without a token; Greeter calls without one are refused', async () => {
    const target = `localhost:${proxy.address.split(':')[1]}`;
    const anonymous = channelCredentials({ ca: certs.ca });
    const health = createHealthClient(target, anonymous);
    try {
      expect(await checkHealth(health, '')).toBe('SERVING');
      expect(await checkHealth(health, 'greeter.v1.Greeter')).toBe('SERVING');
    } finally {
      health.close();
    }
    // Reflection goes to canary, the one deployment that knows both versions.
    expect(await listServices(target, anonymous)).toEqual(['greeter.v1.Greeter', 'greeter.v2.Greeter', 'grpc.health.v1.Health']);
    const wrongToken = createGreeterClient(target, { ca: certs.ca, token: 'not-the-token' });
    try {
      const reply = await sayHelloV1(wrongToken, 'Ada');
      expect(reply.error?.code).toBe(grpc.status.UNAUTHENTICATED);
      // Refused calls say which release refused them, too.
      expect(reply.version).toMatch(/^1\.[01]$/);
    } finally {
      wrongToken.close();
    }
  });
});

describe('without a proxy', () => {
  it('the client makes the same split: exactly 900/100, and v2 to canary', async () => {
    const direct = clientFront({ stable: `localhost:${stable.port}`, canary: `localhost:${canary.port}` }, 10, tls);
    try {
      expect(split(await many(1000, () => direct.v1('Ada')))).toEqual({ byVersion: { '1.0': 900, '1.1': 100 }, failed: 0 });
      expect(split(await many(100, () => direct.v2(v2Name)))).toEqual({ byVersion: { '1.1': 100 }, failed: 0 });
      await direct.setWeight(0);
      expect(split(await many(100, () => direct.v1('Ada')))).toEqual({ byVersion: { '1.0': 100 }, failed: 0 });
    } finally {
      direct.close();
    }
  });
});
