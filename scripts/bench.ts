// `pnpm bench`: unary throughput with h2load (Debian nghttp2-client) against a
// bare grpc-js server and the lessons' production chains, all over TLS, each
// server in its own process. Prints req/s and the share of bare throughput.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureCertificates } from '@course/kit/certs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '40000' },
    connections: { type: 'string', default: '4' },
    streams: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
  },
});
const TOKEN = 'bench-token';
const work = mkdtempSync(join(tmpdir(), 'course-bench-'));
await ensureCertificates(join(work, 'certs'));

// A gRPC request body: 1 byte "not compressed", 4 bytes length, then HelloRequest{name: "Ada"}.
const message = Buffer.from([0x0a, 0x03, ...Buffer.from('Ada')]);
const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
writeFileSync(join(work, 'body'), frame);

interface Server {
  label: string;
  kind: string;
  preload: string[];
  env?: NodeJS.ProcessEnv;
}
const only = process.env.BENCH_ONLY?.split(',');
const allServers: Server[] = [
  { label: 'bare grpc-js (TLS, SayHello only)', kind: 'bare', preload: [] },
  { label: 'lesson 07 chain (log, recover, auth, TLS, health)', kind: '07', preload: [] },
  {
    label: 'lesson 09 chain (+ metrics, tracing, default sampler)',
    kind: '09',
    preload: [join(root, 'steps/09-tracing/src/instrument.ts')],
  },
];
const servers = only ? allServers.filter((s) => s.kind === 'bare' || only.includes(s.kind)) : allServers;

async function measure(server: Server): Promise<number[]> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      ...server.preload.flatMap((p) => ['--import', p]),
      join(root, 'scripts/bench-server.ts'),
      server.kind,
      join(work, 'certs'),
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, AUTH_TOKEN: TOKEN, ...server.env } },
  );
  const port = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
      const found = /listening on [\d.]+:(\d+)/.exec(err);
      if (found?.[1]) resolve(found[1]);
    });
    child.on('exit', () => reject(new Error(`the ${server.kind} server exited: ${err}`)));
  });
  const h2load = (n: string) =>
    execFileSync(
      'h2load',
      [
        '-n',
        n,
        '-c',
        values.connections,
        '-m',
        values.streams,
        '-t',
        '1',
        '-d',
        join(work, 'body'),
        '-H',
        'content-type: application/grpc',
        '-H',
        'te: trailers',
        '-H',
        `authorization: Bearer ${TOKEN}`,
        `https://localhost:${port}/greeter.v1.Greeter/SayHello`,
      ],
      { encoding: 'utf8' },
    );
  try {
    h2load('2000'); // warm up: JIT, TLS sessions, pools
    const rates: number[] = [];
    for (let round = 0; round < Number(values.rounds); round++) {
      const out = h2load(values.requests);
      const rate = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1]);
      const ok = /(\d+) succeeded, (\d+) failed/.exec(out);
      if (ok?.[2] !== '0' || !(rate > 0)) throw new Error(`h2load reported failures:\n${out}`);
      rates.push(rate);
    }
    return rates;
  } finally {
    child.kill('SIGTERM');
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log(
  `h2load: ${values.requests} SayHello calls × ${values.rounds} rounds, ${values.connections} connections × ${values.streams} streams, TLS`,
);
let bare = 0;
for (const server of servers) {
  const rates = await measure(server);
  const rate = median(rates);
  if (server.kind === 'bare') bare = rate;
  const share = bare > 0 ? `${Math.round((rate / bare) * 100)}%` : '';
  console.log(
    `  ${server.label.padEnd(54)} ${String(Math.round(rate)).padStart(7)} req/s  ${share.padStart(5)} of bare  (rounds: ${rates.map(Math.round).join(', ')})`,
  );
}
rmSync(work, { recursive: true, force: true });
