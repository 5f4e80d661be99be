// `pnpm bench`: what the course's claims cost, measured. Each server runs in
// its own process (scripts/bench-server.ts), all over the same TLS, driven
// by h2load (Debian nghttp2-client); the bare server is measured in the same
// run, and rounds alternate between servers so a busy machine hurts all alike.
//
//   pnpm bench              bare grpc-js, lesson 07's chain, lesson 09's (production configuration)
//   pnpm bench --layers     each layer alone on the bare server, and its share of the chain's loss;
//                           --svg FILE draws share of bare per layer (--before FILE.json adds earlier bars)
//   pnpm bench --latency    p50/p99 latency at a fixed rate (default 1,000 req/s: h2load --rps per connection),
//                           bare and the chains
//   pnpm bench --stream     StreamGreetings messages/s, and the server's peak RSS while clients stop reading
//   pnpm bench --profile    CPU profiles (V8's profiler, as node --cpu-prof) of bare and lesson 09's chains: where the time goes
//   pnpm bench --payload    a User message as protobuf and as JSON: bytes, gzip bytes, encode/decode time
//   --quick                 a few seconds per mode (CI runs that, to keep the script working)
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { createGreeterClient } from '@course/01-unary';
import { channelCredentials } from '@course/06-tls';
import { ensureCertificates, loadCertificates } from '@course/kit/certs';
import { measurePayload } from './bench-payload.js';
import { summarize } from './bench-profile.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    layers: { type: 'boolean', default: false },
    latency: { type: 'boolean', default: false },
    rate: { type: 'string', default: '1000' },
    stream: { type: 'boolean', default: false },
    payload: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    requests: { type: 'string' },
    connections: { type: 'string', default: '4' },
    streams: { type: 'string', default: '32' },
    rounds: { type: 'string' },
    svg: { type: 'string' },
    json: { type: 'string' },
    profile: { type: 'boolean', default: false },
    before: { type: 'string' },
  },
});
const quick = values.quick;
const requests = values.requests ?? (quick ? '2000' : '40000');
const rounds = Number(values.rounds ?? (quick ? 1 : 5));
const TOKEN = 'bench-token';
const work = mkdtempSync(join(tmpdir(), 'course-bench-'));
const certDir = join(work, 'certs');
const run = promisify(execFile);
// A gRPC request body: 1 byte "not compressed", 4 bytes length, then HelloRequest{name: "Ada"}.
const message = Buffer.from([0x0a, 0x03, ...Buffer.from('Ada')]);
writeFileSync(join(work, 'body'), Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const pct = (x: number) => `${Math.round(x * 100)}%`;

interface Server {
  label: string;
  kind: string;
  preload?: boolean;
  env?: NodeJS.ProcessEnv;
  /** A single layer on the bare server: its extra CPU is a share of the loss. */
  single?: boolean;
  /** The row whose extra CPU the single layers' shares are of. */
  all?: boolean;
}
interface Running {
  server: Server;
  port: string;
  pid: number;
  stop(): void;
  /** Sends a signal and waits for the server to print a line containing `reply`. */
  signal(signal: NodeJS.Signals, reply: string): Promise<void>;
}

const INSTRUMENT = join(root, 'steps/09-tracing/src/instrument.ts');
const sampled = (ratio: string): NodeJS.ProcessEnv => ({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: ratio });
/** Lesson 09 as its README runs it in production. */
const PRODUCTION_09: NodeJS.ProcessEnv = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  OTEL_TRACES_SAMPLER_ARG: '0.1',
};

async function start(server: Server): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', ...(server.preload ? ['--import', INSTRUMENT] : []), join(root, 'scripts/bench-server.ts'), server.kind, certDir],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        AUTH_TOKEN: TOKEN,
        ...server.env,
        ...(process.env.BENCH_PROF ? { NODE_OPTIONS: process.env.BENCH_PROF } : {}),
      },
    },
  );
  const port = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
      const found = /listening on [\d.]+:(\d+)/.exec(err);
      if (found?.[1]) resolve(found[1]);
    });
    child.on('exit', () => reject(new Error(`the ${server.label} server exited: ${err}`)));
  });
  const signal = (name: NodeJS.Signals, reply: string) =>
    new Promise<void>((resolve) => {
      const onData = (c: Buffer) => {
        if (!String(c).includes(reply)) return;
        child.stderr.off('data', onData);
        resolve();
      };
      child.stderr.on('data', onData);
      child.kill(name);
    });
  return { server, port, pid: child.pid ?? 0, stop: () => child.kill('SIGTERM'), signal };
}

/** CPU time the server process has used so far (all its threads: pino's worker too), in µs. */
function cpuUs(pid: number): number {
  // Fields 14 and 15 of /proc/PID/stat, after the parenthesised command name: utime, stime in clock ticks (100 Hz).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

interface Measured {
  rate: number;
  /** The server's CPU time per call: unlike req/s, barely moved by other work on the machine. */
  cpuPerCall: number;
}

async function h2load(target: Running, n: string, extra: string[] = []): Promise<Measured> {
  const cpuBefore = cpuUs(target.pid);
  const scheme = target.server.kind === 'h2c' ? 'http' : 'https';
  const { stdout } = await run(
    'h2load',
    [
      ...['-n', n, '-c', values.connections, '-m', values.streams, '-t', '1', '-d', join(work, 'body'), ...extra],
      ...['-H', 'content-type: application/grpc', '-H', 'te: trailers', '-H', `authorization: Bearer ${TOKEN}`],
      `${scheme}://localhost:${target.port}/greeter.v1.Greeter/SayHello`,
    ],
    { encoding: 'utf8' },
  );
  const rate = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout)?.[1]);
  const ok = /(\d+) succeeded, (\d+) failed/.exec(stdout);
  // h2load counts HTTP 200 as success; a gRPC error is a 200 too, so also check the status it saw.
  if (ok?.[2] !== '0' || !(rate > 0)) throw new Error(`h2load reported failures against ${target.server.label}:\n${stdout}`);
  return { rate, cpuPerCall: (cpuUs(target.pid) - cpuBefore) / Number(n) };
}

/**
 * Starts every server, then alternates rounds between them; resolves to each
 * one's rates and its ratios to bare (the first server) in the same round.
 */
async function throughput(
  servers: Server[],
): Promise<{ rates: Map<Server, number[]>; ratios: Map<Server, number[]>; cpu: Map<Server, number[]>; cpuRatios: Map<Server, number[]> }> {
  const running = await Promise.all(servers.map(start));
  const rates = new Map(servers.map((s) => [s, [] as number[]]));
  const ratios = new Map(servers.map((s) => [s, [] as number[]]));
  const cpu = new Map(servers.map((s) => [s, [] as number[]]));
  // Bare's CPU per call over this server's, in the same round: a shared or throttled machine
  // slows every server of a round alike, so this ratio moves much less than either figure.
  const cpuRatios = new Map(servers.map((s) => [s, [] as number[]]));
  try {
    for (const r of running) await h2load(r, quick ? '500' : '4000'); // warm up: JIT, TLS sessions, pools
    for (let round = 0; round < rounds; round++) {
      let bare = 0;
      let bareCpu = 0;
      for (const r of running) {
        const { rate, cpuPerCall } = await h2load(r, requests);
        bare ||= rate;
        bareCpu ||= cpuPerCall;
        rates.get(r.server)?.push(rate);
        ratios.get(r.server)?.push(rate / bare);
        cpu.get(r.server)?.push(cpuPerCall);
        cpuRatios.get(r.server)?.push(bareCpu / cpuPerCall);
      }
    }
  } finally {
    for (const r of running) r.stop();
  }
  return { rates, ratios, cpu, cpuRatios };
}

function header(what: string): void {
  console.log(
    `${what}: h2load, ${requests} SayHello calls × ${rounds} round(s), ${values.connections} connections × ${values.streams} streams, median`,
  );
}

async function chains(): Promise<void> {
  header('chains');
  const servers: Server[] = [
    { label: 'bare grpc-js (TLS, SayHello only)', kind: 'bare' },
    { label: 'lesson 07 chain (log, recover, auth, TLS, health)', kind: '07', env: { NODE_ENV: 'production' } },
    { label: 'lesson 09 chain (production configuration)', kind: '09', preload: true, env: PRODUCTION_09 },
    { label: 'lesson 09 chain, production, interceptor tracing', kind: '09i', env: PRODUCTION_09 },
  ];
  const { rates, ratios, cpu, cpuRatios } = await throughput(servers);
  for (const server of servers) {
    const rs = rates.get(server) ?? [];
    const c = median(cpu.get(server) ?? []);
    const cr = cpuRatios.get(server) ?? [];
    console.log(
      `  ${server.label.padEnd(52)} ${String(Math.round(median(rs))).padStart(7)} req/s  ${pct(median(ratios.get(server) ?? [])).padStart(5)} of bare  ${c.toFixed(0).padStart(4)} µs CPU/call (${pct(median(cr))})  (rounds: ${rs.map(Math.round).join(', ')}; CPU of bare: ${cr.map(pct).join(', ')})`,
    );
  }
}

/** Each request's time in µs, from h2load's --log-file (start µs, status, µs to the end of the response). */
function requestTimes(file: string): number[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split('\t')[2]))
    .sort((a, b) => a - b);
}
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/**
 * p50 and p99 at a fixed request rate, not at saturation: what a caller
 * waits while the server has headroom. Same alternating rounds as throughput.
 */
async function latency(): Promise<void> {
  const rate = Number(values.rate);
  const perConnection = Math.max(1, Math.round(rate / Number(values.connections)));
  const n = values.requests ?? String(quick ? rate : rate * 10);
  console.log(
    `latency: h2load at ${perConnection * Number(values.connections)} req/s (${values.connections} connections × ${perConnection} req/s), ${n} SayHello calls × ${rounds} round(s), median over rounds`,
  );
  const servers: Server[] = [
    { label: 'bare grpc-js (TLS, SayHello only)', kind: 'bare' },
    { label: 'lesson 07 chain', kind: '07', env: { NODE_ENV: 'production' } },
    { label: 'lesson 09 chain, production', kind: '09', preload: true, env: PRODUCTION_09 },
    { label: 'lesson 09, interceptor tracing', kind: '09i', env: PRODUCTION_09 },
  ];
  const running = await Promise.all(servers.map(start));
  const p50 = new Map(servers.map((s) => [s, [] as number[]]));
  const p99 = new Map(servers.map((s) => [s, [] as number[]]));
  try {
    for (const r of running) await h2load(r, quick ? '500' : '4000');
    for (let round = 0; round < rounds; round++) {
      for (const r of running) {
        const log = join(work, 'latency.tsv');
        await h2load(r, n, ['--rps', String(perConnection), '--log-file', log]);
        const times = requestTimes(log);
        p50.get(r.server)?.push(quantile(times, 0.5));
        p99.get(r.server)?.push(quantile(times, 0.99));
      }
    }
  } finally {
    for (const r of running) r.stop();
  }
  const bare99 = median(p99.get(servers[0] as Server) ?? []);
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
  console.log(`  ${'server'.padEnd(34)} ${'p50'.padStart(9)} ${'p99'.padStart(9)}  p99 of bare  (p99 rounds)`);
  for (const server of servers) {
    const q99 = p99.get(server) ?? [];
    console.log(
      `  ${server.label.padEnd(34)} ${ms(median(p50.get(server) ?? [])).padStart(9)} ${ms(median(q99)).padStart(9)}  ${`${(median(q99) / bare99).toFixed(2)}×`.padStart(11)}  (${q99.map((x) => (x / 1000).toFixed(2)).join(', ')})`,
    );
  }
}

interface LayerRow {
  label: string;
  rate: number;
  share: number;
  cpuPerCall: number;
  /** Bare's CPU per call over this one's: the share of bare throughput a CPU-bound server would keep. */
  cpuShare: number;
}

async function layers(): Promise<void> {
  header('layers');
  const layer = (label: string, list: string, extra: Partial<Server> = {}): Server => ({
    label,
    kind: 'layers',
    single: true,
    ...extra,
    env: { BENCH_LAYERS: list, ...extra.env },
  });
  const servers: Server[] = [
    { label: 'bare grpc-js over TLS', kind: 'bare' },
    { label: 'no TLS (h2c)', kind: 'h2c' },
    layer('auth (lesson 05)', 'auth'),
    layer('logging at info (lesson 04)', 'log'),
    layer('recovery (lesson 04)', 'recovery'),
    layer('metrics (lesson 08)', 'metrics'),
    layer('tracing, 0% sampled (lesson 09)', '', { preload: true, env: sampled('0') }),
    layer('tracing, 10% sampled', '', { preload: true, env: sampled('0.1') }),
    layer('tracing, 100% sampled', '', { preload: true, env: sampled('1') }),
    layer('interceptor tracing, 0% sampled', 'trace', { env: sampled('0') }),
    layer('interceptor tracing, 10% sampled', 'trace', { env: sampled('0.1') }),
    layer('interceptor tracing, 100% sampled', 'trace', { env: sampled('1') }),
    layer('all of them, 10% sampled', 'auth,log,recovery,metrics', { single: false, all: true, preload: true, env: sampled('0.1') }),
    layer('all, interceptor tracing 10%', 'auth,log,recovery,metrics,trace', { single: false, env: sampled('0.1') }),
    { label: 'lesson 07 chain', kind: '07', env: { NODE_ENV: 'production' } },
    { label: 'lesson 09 chain, production', kind: '09', preload: true, env: PRODUCTION_09 },
    { label: 'lesson 09, interceptor tracing', kind: '09i', env: PRODUCTION_09 },
  ];
  const { rates, ratios, cpu, cpuRatios } = await throughput(servers);
  const bareCpu = median(cpu.get(servers[0] as Server) ?? []);
  const rows: LayerRow[] = servers.map((s) => ({
    label: s.label,
    rate: median(rates.get(s) ?? []),
    share: median(ratios.get(s) ?? []),
    cpuPerCall: median(cpu.get(s) ?? []),
    cpuShare: median(cpuRatios.get(s) ?? []),
  }));
  const cpuOfAll = (rows[servers.findIndex((s) => s.all)]?.cpuPerCall ?? 0) - bareCpu;
  console.log(
    `  ${'layer'.padEnd(34)} ${'req/s'.padStart(7)}  ${'of bare'.padStart(7)}  ${'CPU/call'.padStart(8)}  ${'of bare'.padStart(7)}  share of the loss`,
  );
  rows.forEach((row, i) => {
    const single = servers[i]?.single === true;
    const share = single && cpuOfAll > 0 ? pct((row.cpuPerCall - bareCpu) / cpuOfAll) : '';
    console.log(
      `  ${row.label.padEnd(34)} ${String(Math.round(row.rate)).padStart(7)}  ${pct(row.share).padStart(7)}  ${`${row.cpuPerCall.toFixed(0)} µs`.padStart(8)}  ${pct(row.cpuShare).padStart(7)}  ${share}`,
    );
  });
  console.log('  (req/s of bare: the median over rounds of the ratio to bare in the same round. CPU/call: the server');
  console.log("  process's CPU time per call, all threads; its of-bare is the median over rounds of bare's CPU/call over");
  console.log("  the row's in the same round: the throughput a CPU-bound server keeps. Share of the loss: the extra CPU/call over");
  console.log('  that of all of them. The chart draws the CPU-based shares.)');
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString().slice(0, 10), rows }, null, 2)}\n`);
  if (values.svg) {
    const before = values.before ? (JSON.parse(readFileSync(values.before, 'utf8')) as { rows: LayerRow[] }).rows : undefined;
    writeFileSync(values.svg, barChart(rows, before));
    console.log(`  chart: ${values.svg}`);
  }
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Horizontal bars, share of bare per layer; earlier measurements (if any) as a grey bar above each. */
function barChart(rows: LayerRow[], before?: LayerRow[]): string {
  const labelWidth = 240;
  const barWidth = 420;
  const scale = (share: number) => Math.round((Math.min(share, 1.5) / 1.5) * barWidth);
  const rowHeight = before ? 34 : 22;
  const top = 30;
  const height = top + rows.length * rowHeight + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 70}" height="${height}" font-family="sans-serif" font-size="12">`,
    '<title>Share of bare grpc-js throughput per layer</title>',
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="4" y="18" font-weight="bold">Share of bare grpc-js throughput over the same TLS, from server CPU per call${before ? ' (grey: before, blue: after)' : ''}</text>`,
  ];
  const x0 = labelWidth;
  const full = x0 + scale(1);
  parts.push(`<line x1="${full}" y1="${top - 4}" x2="${full}" y2="${height - 24}" stroke="#888" stroke-dasharray="3,3"/>`);
  parts.push(`<text x="${full - 12}" y="${height - 10}" fill="#555">100%</text>`);
  const eighty = x0 + scale(0.8);
  parts.push(`<line x1="${eighty}" y1="${top - 4}" x2="${eighty}" y2="${height - 24}" stroke="#c33" stroke-dasharray="2,4"/>`);
  parts.push(`<text x="${eighty - 10}" y="${height - 10}" fill="#c33">80%</text>`);
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    parts.push(`<text x="${x0 - 6}" y="${y + rowHeight / 2 + 4}" text-anchor="end">${escapeXml(row.label)}</text>`);
    let barY = y + 3;
    const old = before?.find((b) => b.label === row.label);
    if (before) {
      if (old) {
        parts.push(`<rect x="${x0}" y="${barY}" width="${scale(old.cpuShare)}" height="12" fill="#bbb"/>`);
        parts.push(`<text x="${x0 + scale(old.cpuShare) + 4}" y="${barY + 10}" fill="#777">${pct(old.cpuShare)}</text>`);
      }
      barY += 14;
    }
    parts.push(`<rect x="${x0}" y="${barY}" width="${scale(row.cpuShare)}" height="14" fill="#3a7bd5"/>`);
    parts.push(`<text x="${x0 + scale(row.cpuShare) + 4}" y="${barY + 11}">${pct(row.cpuShare)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The server process's resident set, in MB, from /proc. */
function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

async function stream(): Promise<void> {
  const count = quick ? 2_000 : 10_000;
  const pauseMs = quick ? 500 : 5_000;
  const crowd = quick ? 10 : 100;
  const name = 'A'.repeat(100); // the longest name SayHello accepts: ~110-byte messages
  console.log(
    `stream: StreamGreetings of ${count} messages (~${name.length + 10} bytes each) over TLS; the server's RSS sampled every 20 ms`,
  );
  const certs = loadCertificates(certDir);
  const server = await start({ label: 'stream', kind: 'stream' });
  const clients: ReturnType<typeof createGreeterClient>[] = [];
  const client = () => {
    // A channel of its own each (no shared subchannel): 100 clients are 100 connections.
    const c = createGreeterClient(`localhost:${server.port}`, {
      credentials: channelCredentials({ ca: certs.ca }),
      channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
    });
    clients.push(c);
    return c;
  };
  /** Reads one stream to its end; with pauseMs, stops reading after the first message for that long. */
  const readStream = async (c: ReturnType<typeof createGreeterClient>, pause = 0) => {
    const call = c.StreamGreetings({ name, count });
    let received = 0;
    let paused = false;
    call.on('data', () => {
      received++;
      if (pause > 0 && !paused) {
        paused = true;
        call.pause();
        setTimeout(() => call.resume(), pause);
      }
    });
    await once(call, 'end');
    if (received !== count) throw new Error(`a stream ended after ${received} of ${count} messages`);
    return received;
  };
  /** Peak RSS while fn runs, in MB. */
  const peakDuring = async (fn: () => Promise<unknown>) => {
    let peak = rssMb(server.pid);
    const timer = setInterval(() => {
      peak = Math.max(peak, rssMb(server.pid));
    }, 20);
    try {
      await fn();
    } finally {
      clearInterval(timer);
    }
    return Math.max(peak, rssMb(server.pid));
  };
  try {
    const one = client();
    await readStream(one); // warm up
    const idle = rssMb(server.pid);
    const started = performance.now();
    const streams = quick ? 1 : 5;
    let fastPeak = 0;
    fastPeak = await peakDuring(async () => {
      for (let i = 0; i < streams; i++) await readStream(one);
    });
    const rate = (streams * count) / ((performance.now() - started) / 1000);
    console.log(
      `  ${'1 client reading'.padEnd(34)} ${String(Math.round(rate)).padStart(8)} messages/s   peak RSS ${fastPeak.toFixed(0)} MB`,
    );
    const slowPeak = await peakDuring(() => readStream(one, pauseMs));
    console.log(`  ${`1 client, stops ${pauseMs / 1000} s`.padEnd(34)} ${''.padStart(8)}              peak RSS ${slowPeak.toFixed(0)} MB`);
    const many = Array.from({ length: crowd }, client);
    const crowdPeak = await peakDuring(() => Promise.all(many.map((c) => readStream(c, pauseMs))));
    const unbounded = (crowd * count * (name.length + 10)) / 1024 / 1024;
    console.log(
      `  ${`${crowd} clients, each stops ${pauseMs / 1000} s`.padEnd(34)} ${''.padStart(8)}              peak RSS ${crowdPeak.toFixed(0)} MB  (idle ${idle.toFixed(0)} MB; all ${crowd} streams buffered would be ~${unbounded.toFixed(0)} MB more)`,
    );
  } finally {
    for (const c of clients) c.close();
    server.stop();
  }
}

/** CPU profiles of bare and lesson 09's production chain under the same load: self time per package. */
async function profile(): Promise<void> {
  header('profile');
  const dir = join(work, 'profiles');
  const servers: Server[] = [
    { label: 'bare grpc-js over TLS', kind: 'bare' },
    { label: 'lesson 09 chain, production', kind: '09', preload: true, env: PRODUCTION_09 },
    { label: 'lesson 09, interceptor tracing', kind: '09i', env: PRODUCTION_09 },
  ];
  mkdirSync(dir);
  for (const server of servers) {
    const file = join(dir, `${server.kind}.cpuprofile`);
    const r = await start({ ...server, env: { ...server.env, BENCH_PROFILE: file } });
    await h2load(r, quick ? '500' : '4000');
    await r.signal('SIGUSR2', 'profiling');
    const rates: number[] = [];
    for (let round = 0; round < rounds; round++) rates.push((await h2load(r, requests)).rate);
    await r.signal('SIGUSR2', 'profile written');
    r.stop();
    const summary = summarize(file);
    const calls = rounds * Number(requests);
    console.log(
      `  ${server.label}: ${Math.round(median(rates))} req/s, ${Math.round((summary.busyMs * 1000) / calls)} µs of CPU per call; by layer (inclusive):`,
    );
    for (const l of summary.layers) {
      console.log(`    ${l.layer.padEnd(44)} ${pct(l.share).padStart(4)}  ${((l.ms * 1000) / calls).toFixed(1).padStart(6)} µs/call`);
    }
    console.log('    self time by owner:');
    for (const o of summary.owners.slice(0, 12)) console.log(`    ${o.owner.padEnd(44)} ${pct(o.share).padStart(4)}`);
    console.log('    hottest functions:');
    for (const f of summary.functions.slice(0, 12))
      console.log(`    ${f.name.slice(0, 60).padEnd(60)} ${f.owner.padEnd(30)} ${pct(f.share).padStart(4)}`);
  }
}

function payload(): void {
  const iterations = quick ? 2_000 : 200_000;
  console.log(`payload: a User message (ids, names, email, two timestamps, an enum, a map), ${iterations} calls per timing, median of 5`);
  console.log(`  ${'format'.padEnd(9)} ${'bytes'.padStart(6)} ${'gzip'.padStart(6)} ${'encode'.padStart(10)} ${'decode'.padStart(10)}`);
  for (const r of measurePayload(iterations)) {
    console.log(
      `  ${r.format.padEnd(9)} ${String(r.bytes).padStart(6)} ${String(r.gzipBytes).padStart(6)} ${`${(r.encodeNs / 1000).toFixed(2)} µs`.padStart(10)} ${`${(r.decodeNs / 1000).toFixed(2)} µs`.padStart(10)}`,
    );
  }
}

try {
  if (values.payload) payload();
  else {
    await ensureCertificates(certDir);
    if (values.layers) await layers();
    else if (values.profile) await profile();
    else if (values.stream) await stream();
    else if (values.latency) await latency();
    else await chains();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
await sleep(0);
