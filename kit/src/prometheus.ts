// A real Prometheus (Debian's, or $PROMETHEUS) on loopback and a free port,
// scraping the given targets every second, and PromQL over its HTTP API: for
// the tests and demos that check queries against a server's own series.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './child.js';

export const prometheusCommand = (env: NodeJS.ProcessEnv = process.env) => env.PROMETHEUS ?? 'prometheus';

/** Whether a Prometheus can be started here. */
export function prometheusAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  return spawnSync(prometheusCommand(env), ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** One series of an instant query's answer. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusOptions {
  /** host:port of each /metrics endpoint, scraped as job `job`. */
  targets: string[];
  job?: string;
  scrapeIntervalSeconds?: number;
  /** Rule files Prometheus loads (recording and alerting rules). */
  ruleFiles?: string[];
}

export interface PrometheusHandle {
  url: string;
  /** An instant query; throws with Prometheus's own error for a bad expression. */
  query(expr: string): Promise<PromSample[]>;
  /** Polls `expr` until `done` says its answer is there, at most `timeoutMs`; returns the last answer. */
  until(expr: string, done: (result: PromSample[]) => boolean, timeoutMs?: number): Promise<PromSample[]>;
  /** What Prometheus wrote to stderr (warnings and errors only). */
  log(): string;
  stop(): Promise<void>;
}

export async function startPrometheus({
  targets,
  job = 'greeter',
  scrapeIntervalSeconds = 1,
  ruleFiles = [],
}: PrometheusOptions): Promise<PrometheusHandle> {
  const work = mkdtempSync(join(tmpdir(), 'course-prometheus-'));
  const port = await freePort();
  const config = [
    'global:',
    `  scrape_interval: ${scrapeIntervalSeconds}s`,
    `  evaluation_interval: ${scrapeIntervalSeconds}s`,
    ...(ruleFiles.length ? ['rule_files:', ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    'scrape_configs:',
    `  - job_name: ${job}`,
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
  writeFileSync(join(work, 'prometheus.yml'), config);
  const child: ChildProcess = spawn(
    prometheusCommand(),
    [
      `--config.file=${join(work, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(work, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (c) => {
    log += c;
  });
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;

  async function query(expr: string): Promise<PromSample[]> {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: PromSample[] } };
    if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
    return body.data?.result ?? [];
  }

  const handle: PrometheusHandle = {
    url,
    query,
    async until(expr, done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let result: PromSample[] = [];
      // Each poll waits for the next scrape or rule evaluation to have had a chance.
      for (;;) {
        result = await query(expr).catch((err: Error) =>
          /ECONNREFUSED|fetch failed/.test(String(err.cause ?? err)) ? [] : Promise.reject(err),
        );
        if (done(result) || Date.now() > deadline) return result;
        await new Promise((r) => setTimeout(r, (scrapeIntervalSeconds * 1000) / 4));
      }
    },
    log: () => log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(work, { recursive: true, force: true });
    },
  };
  // Ready means it serves queries; it exits at once on a bad config.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(work, { recursive: true, force: true });
      throw new Error(`prometheus exited with ${child.exitCode}: ${log.trim()}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`prometheus was not ready on ${url} within 30 s: ${log.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // Its first scrape comes seconds after it is ready (target updates are
  // applied every 5 s): until then there is nothing to query, and a rate would
  // miss whatever happens first. Every target scraped once is the start.
  const scraped = await handle.until('up', (r) => r.length === targets.length);
  if (scraped.length < targets.length) {
    await handle.stop();
    throw new Error(`prometheus had not scraped ${targets.join(', ')} within 30 s: ${log.trim()}`);
  }
  return handle;
}
