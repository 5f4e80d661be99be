// Every panel of the provisioned dashboard, checked the way Grafana would run
// it: a real Prometheus scraping a step-15 Greeter under the mixed load, each
// panel's query (variables substituted) answered with data, and the error
// ratio it shows equal, within a point or two, to the share the load produced.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@course/04-interceptors';
import { type PrometheusHandle, type PromSample, startPrometheus } from '@course/kit';
import { type Certificates, ensureCertificates, loadCertificates } from '@course/kit/certs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadResult, panelQueries, runLoad, startGreeterServer, startLoggerServer } from '../src/index.js';
import { closeClients, DEMO_VARIABLES, loadClients, RULES_FILE, SCRAPE_SECONDS, untilScraped } from '../src/lesson.js';

const dir = mkdtempSync(join(tmpdir(), 'course-dashboards-'));
const silent = () => createLogger({ level: 'silent', pretty: false });
const TOKEN = 'dashboard-token';
let certs: Certificates;
let stopServers: () => Promise<void>;
let prometheus: PrometheusHandle;
let load: LoadResult;
const answers = new Map<string, PromSample[]>();
const queries = panelQueries(DEMO_VARIABLES);
const key = (q: { panel: string; refId: string }) => `${q.panel} ${q.refId}`;

beforeAll(async () => {
  await ensureCertificates(join(dir, 'certs'));
  certs = loadCertificates(join(dir, 'certs'));
  const metricsAddress = { host: '127.0.0.1', port: 0 };
  const logger = await startLoggerServer({ certs, logger: silent(), metricsAddress });
  const greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    drainDelayMs: 0,
    logger: silent(),
    metricsAddress,
    loggerTarget: `localhost:${logger.port}`,
  });
  stopServers = async () => {
    await greeter.stop();
    await logger.stop();
  };
  prometheus = await startPrometheus({
    targets: [new URL(greeter.metricsUrl).host],
    job: DEMO_VARIABLES.job,
    scrapeIntervalSeconds: SCRAPE_SECONDS,
    ruleFiles: [RULES_FILE],
  });
  const clients = await loadClients(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN });
  try {
    load = await runLoad(clients, { seconds: 4, rate: 50 });
  } finally {
    closeClients(clients);
  }
  // Data, not time: every call the load made is in Prometheus before any panel is asked.
  expect(await untilScraped(prometheus, DEMO_VARIABLES.job, load.calls), prometheus.log()).toBe(load.calls);
  for (const q of queries) answers.set(key(q), await prometheus.query(q.expr));
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await stopServers?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('the load', () => {
  it('produced the mix it was built for: OK, two refusals, cancellations', () => {
    expect(load.calls).toBe(200);
    expect(load.byCode).toEqual({ OK: 160, INVALID_ARGUMENT: 20, UNAUTHENTICATED: 10, CANCELLED: 10 });
    expect(load.errorShare).toBeCloseTo(0.2, 5);
  });
});

describe('every panel', () => {
  it('the dashboard has the panels the lesson promises', () => {
    const panels = [...new Set(queries.map((q) => q.panel))];
    expect(panels).toEqual([
      'Server: request rate by method',
      'Client: request rate by method',
      'Server: error ratio by code',
      'Client: error ratio by code',
      'Server: latency p50 / p95 / p99',
      'Client: latency p50 / p95 / p99',
      'Server: in-flight calls',
      'Client: in-flight calls',
      'Breaker state',
      'Breaker transitions',
    ]);
  });

  it.each(queries.map((q) => [key(q), q] as const))('%s returns data', (_, q) => {
    expect(answers.get(key(q)), q.expr).not.toEqual([]);
  });
});

describe('the values', () => {
  const only = (panel: string, refId: string) => {
    const result = answers.get(`${panel} ${refId}`) ?? [];
    expect(result).toHaveLength(1);
    return Number(result[0]?.value[1]);
  };

  it("the error ratio is the load's error share, within two points", () => {
    expect(Math.abs(only('Server: error ratio by code', 'A') - load.errorShare)).toBeLessThan(0.02);
  });

  it('the error ratio by code splits it as the load did', () => {
    const byCode = Object.fromEntries(
      (answers.get('Server: error ratio by code B') ?? []).map((s) => [s.metric.grpc_code, Number(s.value[1])]).filter(([, v]) => v !== 0),
    );
    expect(Object.keys(byCode).sort()).toEqual(['Canceled', 'InvalidArgument', 'Unauthenticated']);
    expect(byCode.InvalidArgument).toBeCloseTo(20 / 200, 1);
    expect(byCode.Canceled).toBeCloseTo(10 / 200, 1);
  });

  it('nothing is in flight once the load has ended', () => {
    for (const s of answers.get('Server: in-flight calls A') ?? []) expect(s.value[1], s.metric.grpc_method).toBe('0');
  });

  it('the client side sees the Logger calls the greetings made, without errors', () => {
    const rates = answers.get('Client: request rate by method A') ?? [];
    expect(rates.find((s) => s.metric.grpc_method === 'Log' && Number(s.value[1]) > 0)).toBeDefined();
    expect(only('Client: error ratio by code', 'A')).toBe(0);
  });

  it('the recording rules evaluate: the server-failure ratio is 0, for no call failed on the server', async () => {
    const result = await prometheus.until('job:grpc_server_failures:ratio_rate1m', (r) => r.length > 0);
    expect(result.map((s) => s.value[1])).toEqual(['0']);
  });
});
