// Lesson 15 as the step runner drives it: the Greeter and its Logger, a short
// mixed load, and, when a Prometheus is on PATH, every dashboard panel's
// query run against it and shown with its current value.
import { fileURLToPath } from 'node:url';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { courseCertificates } from '@course/06-tls';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { withBothServers } from '@course/10-two-services/lesson';
import {
  type Flags,
  type Lesson,
  type PrometheusHandle,
  type PromSample,
  parsePositiveInt,
  pc,
  prometheusAvailable,
  row,
  startPrometheus,
} from '@course/kit';
import { legendOf, type PanelQuery, panelQueries, type Variables } from './dashboard.js';
import { type LoadClients, type LoadResult, type Progress, runLoad } from './load.js';
import { previousLesson, startGreeterServer, startLoggerServer } from './server.js';

export const RULES_FILE = fileURLToPath(new URL('../prometheus/rules.yml', import.meta.url));
/** The demo's and the tests' scrape interval, and a rate window of more than four of them. */
export const SCRAPE_SECONDS = 1;
export const DEMO_VARIABLES: Variables = { job: 'greeter', __rate_interval: '30s' };

/** A wrong token for the share of calls that must be refused. */
const STRANGER_TOKEN = 'not-the-token';

/** The load's two clients: with the server's token (AUTH_TOKEN unless given) and with a wrong one. */
export async function loadClients(target: string, given: { ca?: Buffer; token?: string } = {}): Promise<LoadClients> {
  const ca = given.ca ?? (await courseCertificates()).ca;
  return {
    client: createGreeterClient(target, { ca, token: given.token ?? tokenFromEnv() }),
    stranger: createGreeterClient(target, { ca, token: STRANGER_TOKEN }),
  };
}

export function closeClients({ client, stranger }: LoadClients): void {
  client.close();
  stranger.close();
}

function describeProgress({ second, rate, errorShare, p99Ms }: Progress): string {
  return `${String(second).padStart(3)} s  ${String(rate).padStart(4)} calls/s  errors ${(errorShare * 100).toFixed(1).padStart(5)}%  p99 ${p99Ms === undefined ? '-' : `${Math.round(p99Ms)} ms`}`;
}

/** On a terminal the progress line is rewritten in place; elsewhere (a log, CI) it is one line a second. */
function progressPrinter(): { onProgress: (p: Progress) => void; done: () => void } {
  const tty = Boolean(process.stdout.isTTY);
  let shown = false;
  return {
    onProgress(p) {
      if (tty) {
        process.stdout.write(`\r\x1b[K  ${pc.dim('load'.padEnd(10))} ${describeProgress(p)}`);
        shown = true;
      } else row('load', describeProgress(p));
    },
    done() {
      if (shown) process.stdout.write('\n');
    },
  };
}

export function describeMix(result: LoadResult): string {
  const codes = Object.entries(result.byCode)
    .sort(([x, a], [y, b]) => b - a || x.localeCompare(y))
    .map(([code, n]) => `${code} ${n}`);
  return `${result.calls} calls: ${codes.join(', ')} (errors ${(result.errorShare * 100).toFixed(1)}%)`;
}

async function loadWithProgress(clients: LoadClients, seconds: number, rate: number): Promise<LoadResult> {
  row('load', `${rate} calls/s for ${seconds} s: quick, slow, refused and cancelled calls`);
  const printer = progressPrinter();
  try {
    return await runLoad(clients, { seconds, rate, onProgress: printer.onProgress });
  } finally {
    printer.done();
  }
}

/** Waits until Prometheus has scraped every call the load made (bounded), so each panel sees all of them. */
export async function untilScraped(prometheus: PrometheusHandle, job: string, calls: number): Promise<number> {
  const expr = `sum(grpc_server_handled_total{job="${job}"})`;
  const result = await prometheus.until(expr, (r) => Number(r[0]?.value[1]) >= calls);
  return Number(result[0]?.value[1] ?? 0);
}

const UNITS: Record<string, (v: number) => string> = {
  reqps: (v) => `${v.toFixed(1)}/s`,
  percentunit: (v) => `${(v * 100).toFixed(1)}%`,
  s: (v) => `${Math.round(v * 1000)} ms`,
};

function formatValue(unit: string, value: string): string {
  const v = Number(value);
  return Number.isNaN(v) ? 'NaN' : (UNITS[unit]?.(v) ?? String(Number(v.toFixed(3))));
}

/** One table row per panel query: its series, each as `legend value`. */
export function describeAnswer(query: PanelQuery, answer: PromSample[]): string {
  if (answer.length === 0) return pc.dim('no data');
  // A series per status code is mostly zeros: show the others, and how many are zero.
  const shown = answer.length > 6 ? answer.filter((s) => Number(s.value[1]) !== 0) : answer;
  const zeros = answer.length - shown.length;
  const values = shown.map((s) => `${legendOf(query.legend, s) || '·'} ${formatValue(query.unit, s.value[1])}`).sort();
  return [...values, ...(zeros ? [pc.dim(shown.length ? `${zeros} more at 0` : `all ${zeros} at 0`)] : [])].join(', ');
}

async function showPanels(prometheus: PrometheusHandle, result: LoadResult): Promise<void> {
  const seen = await untilScraped(prometheus, DEMO_VARIABLES.job, result.calls);
  row(
    'prometheus',
    `scraped ${seen} of the ${result.calls} calls; each panel's query, $__rate_interval = ${DEMO_VARIABLES.__rate_interval}:`,
  );
  let panel = '';
  for (const query of panelQueries(DEMO_VARIABLES)) {
    if (query.panel !== panel) process.stdout.write(`  ${pc.bold(query.panel)}\n`);
    panel = query.panel;
    row(`  ${query.refId}`, describeAnswer(query, await prometheus.query(query.expr)));
  }
}

async function demo(flags: Flags): Promise<void> {
  const seconds = flags.seconds === undefined ? 5 : parsePositiveInt(flags.seconds, '--seconds');
  const rate = flags.rate === undefined ? 40 : parsePositiveInt(flags.rate, '--rate');
  const withPrometheus = prometheusAvailable();
  await withBothServers(
    { logger: startLoggerServer, greeter: startGreeterServer },
    { greeter: { logger: createLogger({ level: 'silent' }) } },
    async ({ greeter }) => {
      row('greeter', `metrics on ${greeter.metricsUrl}`);
      let prometheus: PrometheusHandle | undefined;
      if (withPrometheus) {
        prometheus = await startPrometheus({
          targets: [new URL(greeter.metricsUrl).host],
          job: DEMO_VARIABLES.job,
          scrapeIntervalSeconds: SCRAPE_SECONDS,
          ruleFiles: [RULES_FILE],
        });
        row('prometheus', `${prometheus.url}, scraping every ${SCRAPE_SECONDS} s, with the lesson's rules`);
      }
      const clients = await loadClients(`localhost:${greeter.port}`);
      try {
        const result = await loadWithProgress(clients, seconds, rate);
        row('mix', describeMix(result));
        if (prometheus) await showPanels(prometheus, result);
        else row('prometheus', 'not on PATH (or $PROMETHEUS): skipped the panel queries; the load and its mix ran');
      } finally {
        closeClients(clients);
        await prometheus?.stop();
      }
    },
  );
}

export const lesson: Lesson = {
  ...previousLesson,
  step: '15',
  title: 'Dashboards',
  summary: 'A mixed load against the Greeter, and every panel of the provisioned dashboard queried from a real Prometheus scraping it.',
  flags: {
    ...previousLesson.flags,
    demo: {
      seconds: { type: 'string', placeholder: 'S', description: 'how long the load runs (default 5)' },
      rate: { type: 'string', placeholder: 'R', description: 'calls started per second (default 40)' },
    },
  },
  demo,
  commands: {
    load: {
      description: 'drives mixed traffic (OK, errors, slow, cancelled) at a running server, then prints the mix',
      flags: {
        seconds: { type: 'string', placeholder: 'S', description: 'how long to run (default 30)' },
        rate: { type: 'string', placeholder: 'R', description: 'calls started per second (default 20)' },
      },
      async run({ target, flags }) {
        const seconds = flags.seconds === undefined ? 30 : parsePositiveInt(flags.seconds, '--seconds');
        const rate = flags.rate === undefined ? 20 : parsePositiveInt(flags.rate, '--rate');
        const clients = await loadClients(target);
        try {
          row('target', target);
          const result = await loadWithProgress(clients, seconds, rate);
          row('mix', describeMix(result));
          if (!result.byCode.OK)
            throw Object.assign(new Error(`no call succeeded: is a step 15 server running at ${target}?`), { code: 'ELOAD' });
        } finally {
          closeClients(clients);
        }
      },
    },
  },
};
