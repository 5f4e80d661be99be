// Beta users first: a call that says `x-user-id: beta-…` always reaches the canary, whatever the weight; every other call is split as before (an ACL in haproxy.cfg).
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { freePort } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DeploymentHandle, many, type ProxyHandle, sayHelloV1, split, startDeployment, startProxy } from '../src/index.js';

const TOKEN = 'beta-token';
const { certs, remove } = await temporaryCertificates('course-beta-');
const quiet = {
  certs,
  token: TOKEN,
  logger: createLogger({ level: 'silent' }),
  metricsAddress: { host: '127.0.0.1', port: 0 },
  graceMs: 1_000,
  drainDelayMs: 0,
};
let logger: Awaited<ReturnType<typeof startLoggerServer>>;
let deployments: DeploymentHandle[] = [];
let proxy: ProxyHandle;
let port: number;

beforeAll(async () => {
  logger = await startLoggerServer(quiet);
  const loggerTarget = `localhost:${logger.port}`;
  deployments = await Promise.all(
    (['stable', 'canary'] as const).map((track) => startDeployment({ ...quiet, track, port: 0, loggerTarget })),
  );
  port = await freePort();
  proxy = await startProxy({
    host: '127.0.0.1',
    port,
    stable: deployments[0]?.address as string,
    canary: deployments[1]?.address as string,
    // A rollback in force: without the ACL nothing would reach the canary.
    canaryWeight: 0,
    certs,
    metricsAddress: { host: '127.0.0.1', port: await freePort() },
    socket: `${process.env.TMPDIR ?? '/tmp'}/course-beta-${port}.sock`,
  });
});
afterAll(async () => {
  await proxy?.stop();
  await Promise.all(deployments.map((d) => d.stop()));
  await logger?.stop();
  remove();
});

async function splitFor(userId?: string) {
  const client = createGreeterClient(`localhost:${port}`, { ca: certs.ca, token: TOKEN, userId });
  try {
    return split(await many(20, () => sayHelloV1(client, 'Ada')));
  } finally {
    client.close();
  }
}

it('sends every call of user beta-7 to the canary (1.1), at weight 0', async () => {
  expect(await splitFor('beta-7')).toEqual({ byVersion: { '1.1': 20 }, failed: 0 });
});

it('still sends the calls of other users, and of no user, to stable (1.0)', async () => {
  expect(await splitFor('u-42')).toEqual({ byVersion: { '1.0': 20 }, failed: 0 });
  expect(await splitFor()).toEqual({ byVersion: { '1.0': 20 }, failed: 0 });
});
