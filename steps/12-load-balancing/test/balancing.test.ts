// The spread through real channels to three real backends: round_robin
// cycles through all of them, pick_first stays on one, and a DNS name that
// resolves to three addresses spreads like the address list does.
import { fileURLToPath } from 'node:url';
import { createLogger } from '@course/04-interceptors';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackendHandle,
  createBalancedClient,
  type DnsServerHandle,
  type Policy,
  sayHelloFrom,
  spread,
  startBackend,
  startDnsServer,
  untilAllAnswer,
} from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'balancing-token';
const HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
const { dir, certs, remove } = await temporaryCertificates('course-balancing-');
const quiet = {
  certs,
  token: TOKEN,
  logger: createLogger({ level: 'silent' }),
  metricsAddress: { host: '127.0.0.1', port: 0 },
  graceMs: 1_000,
};
let logger: Awaited<ReturnType<typeof startLoggerServer>>;
let backends: BackendHandle[] = [];
let dns: DnsServerHandle;
let port: number;

beforeAll(async () => {
  logger = await startLoggerServer(quiet);
  const loggerTarget = `localhost:${logger.port}`;
  // One port at three loopback addresses: what a DNS name with three A records points at.
  const first = await startBackend({ ...quiet, id: 'b1', host: HOSTS[0], port: 0, loggerTarget });
  port = first.port;
  backends = [
    first,
    ...(await Promise.all(HOSTS.slice(1).map((host, i) => startBackend({ ...quiet, id: `b${i + 2}`, host, port, loggerTarget })))),
  ];
  dns = await startDnsServer('localhost', HOSTS);
});
afterAll(async () => {
  await Promise.all(backends.map((b) => b.stop()));
  await logger?.stop();
  await dns?.stop();
  remove();
});

const list = () => `ipv4:${HOSTS.map((h) => `${h}:${port}`).join(',')}`;
const client = (policy: Policy) =>
  createBalancedClient(
    list(),
    { policy },
    { ca: certs.ca, token: TOKEN, channelOptions: { 'grpc.ssl_target_name_override': 'localhost' } },
  );

async function calls(c: ReturnType<typeof client>, n: number) {
  const answers = [];
  for (let i = 0; i < n; i++) answers.push(await sayHelloFrom(c, 'Ada'));
  return answers;
}

describe('an address list', () => {
  it('round_robin: once all three are connected, each gets every third call', async () => {
    const c = client('round_robin');
    try {
      await untilAllAnswer(c, 3);
      const answers = await calls(c, 9);
      expect(spread(answers)).toEqual({ b1: 3, b2: 3, b3: 3 });
      // In turn, not merely in total: any three calls in a row went to three backends.
      const order = answers.map((a) => a.backend);
      for (let i = 0; i + 3 <= order.length; i++) expect(new Set(order.slice(i, i + 3)).size).toBe(3);
    } finally {
      c.close();
    }
  });

  it('pick_first: every call goes to the first address that connects', async () => {
    const c = client('pick_first');
    try {
      expect(spread(await calls(c, 9))).toEqual({ b1: 9 });
    } finally {
      c.close();
    }
  });

  it('without a service config, grpc-js picks first (its default), whatever grpc.lb_policy_name says', async () => {
    const plain = (await import('@course/08-prometheus-metrics')).createGreeterClient(list(), {
      ca: certs.ca,
      token: TOKEN,
      channelOptions: { 'grpc.ssl_target_name_override': 'localhost', 'grpc.lb_policy_name': 'round_robin' },
    });
    try {
      // grpc.lb_policy_name is not read by grpc-js: still pick_first.
      expect(spread(await calls(plain, 6))).toEqual({ b1: 6 });
    } finally {
      plain.close();
    }
  });
});

describe('a DNS name with three addresses', () => {
  it('resolves through the DNS server in the target, and round_robin spreads over all three', async () => {
    const target = `dns://${dns.address}/localhost:${port}`;
    const before = dns.queries.A ?? 0;
    const run = startLesson(step, ['client', '--target', target, '--calls', '12'], {
      env: { GRPC_NODE_USE_ALTERNATIVE_RESOLVER: 'true', CERTS_DIR: dir, AUTH_TOKEN: TOKEN, METRICS_PORT: '0' },
    });
    const { code, stdout, stderr } = await run.exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const order = [...stdout.matchAll(/OK from (b\d)/g)].map((m) => m[1]);
    expect(order).toHaveLength(12);
    // The first calls go to whichever connects first; from the call where all three have answered, strict turns.
    const all = order.findIndex((_, i) => new Set(order.slice(0, i + 1)).size === 3);
    expect(all).toBeGreaterThanOrEqual(2);
    for (let i = all - 2; i + 3 <= order.length; i++) expect(new Set(order.slice(i, i + 3)).size).toBe(3);
    expect(dns.queries.A).toBeGreaterThan(before);
  });

  it('grpc-js’s default resolver (dns.lookup) finds localhost in the hosts file instead', async () => {
    const { code, stdout } = await startLesson(step, ['client', '--target', `localhost:${port}`, '--calls', '3'], {
      env: { CERTS_DIR: dir, AUTH_TOKEN: TOKEN, METRICS_PORT: '0' },
    }).exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/spread\s+round_robin, 3 calls → b\d 3/);
  });
});

describe('a backend whose handler fails a call', () => {
  it('names itself in the trailers of a status sent alone, and its UNAVAILABLE is retried: trailers do not commit a call', async () => {
    // Fails every other attempt that reaches it: the first of each call, when nothing else calls it.
    let handled = 0;
    const flaky = await startBackend({
      ...quiet,
      id: 'b9',
      port: 0,
      loggerTarget: `localhost:${logger.port}`,
      handlers: {
        SayHello: (call, callback) =>
          ++handled % 2 === 1
            ? callback({ code: grpc.status.UNAVAILABLE, details: 'down for a moment' })
            : callback(null, { message: `Hello, ${call.request.name}!` }),
      },
    });
    const options = { ca: certs.ca, token: TOKEN };
    const plain = createBalancedClient(`localhost:${flaky.port}`, { policy: 'round_robin' }, options);
    const retrying = createBalancedClient(`localhost:${flaky.port}`, { policy: 'round_robin', retry: true }, options);
    try {
      const failed = await sayHelloFrom(plain, 'Ada');
      expect(failed.error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(failed.backend).toBe('b9');
      expect(handled).toBe(1);
      // The next attempt is the second: it passes. Then a call of its own, failed once and retried.
      expect((await sayHelloFrom(plain, 'Ada')).error).toBeUndefined();
      const retried = await sayHelloFrom(retrying, 'Bob');
      expect(retried).toMatchObject({ error: undefined, backend: 'b9' });
      expect(handled).toBe(4);
    } finally {
      plain.close();
      retrying.close();
      await flaky.stop();
    }
  });
});
