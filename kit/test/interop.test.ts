// Every lesson answers a client written in another language: Python's grpcio (C-core, no code
// shared with grpc-js) drives each step's real `serve` process through kit/interop/interop.py.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_INCLUDE_DIRS, PROTO_ROOT } from '../../proto/index.js';
import { certPaths, createAuthority, ensureCertificates } from '../src/certs.js';
import { pythonPath } from '../src/prereqs.js';
import { type NodeProcess, startLesson } from '../src/process.js';

type Feature = 'stream' | 'chat' | 'auth' | 'tls' | 'health' | 'reflection' | 'metrics' | 'validation';

/**
 * The lesson each feature a client can see arrives in (the step contract, COURSE.md); every later
 * lesson keeps it. A lesson that keeps the contract needs nothing here: every folder in steps/ is checked.
 */
const SINCE: Record<Feature, string> = {
  stream: '02', // StreamGreetings
  chat: '03', // Chat, a room
  auth: '05', // authorization: Bearer <AUTH_TOKEN>, UNAUTHENTICATED otherwise
  tls: '06', // TLS only, with the course CA
  health: '07', // grpc.health.v1.Health, NOT_SERVING on SIGTERM
  reflection: '07',
  metrics: '08', // grpc_server_handled_total on the printed metrics URL
  validation: '21', // buf.validate rules; INVALID_ARGUMENT with a google.rpc.BadRequest listing every field violation
};
/**
 * greeter.v2.Greeter is served beside v1 from lesson 17 on (reflection lists it; the Python client calls
 * only v1): lesson 17's proxy fronts both, and the lessons after it run its canary deployment.
 */
const servesV2 = (step: string) => Number(step) >= 17;

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('../interop/interop.py', import.meta.url));
const lessons = readdirSync(join(root, 'steps'))
  .filter((dir) => /^\d\d-/.test(dir))
  .sort();
const run = promisify(execFile);
const TOKEN = 'interop-token';

// The health and reflection protos come with the packages lesson 07 serves them from.
const fromHealthLesson = createRequire(join(root, 'steps', lessons.find((d) => d.startsWith(SINCE.health)) ?? '', 'package.json'));
// google/rpc/*.proto from the google-proto-files package, which lesson 18 (the rich error model) depends on.
const fromErrorsLesson = createRequire(join(root, 'steps', lessons.find((d) => d.startsWith('18')) ?? '', 'package.json'));
const protos = {
  rpc: dirname(fromErrorsLesson.resolve('google-proto-files/package.json')),
  health: (fromHealthLesson('grpc-health-check') as { protoPath: string }).protoPath,
  reflection: join(dirname(fromHealthLesson.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto'),
};

const work = mkdtempSync(join(tmpdir(), 'course-interop-'));
const certs = join(work, 'certs');
const otherCa = join(work, 'other-ca.crt');
beforeAll(async () => {
  await ensureCertificates(certs);
  writeFileSync(otherCa, (await createAuthority('a CA the lessons do not use')).cert);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The runner's own line (`server  listening on ADDR`), not one a lesson prints for a second process. */
const RUNNER_LISTENING = /^\s*server\s+listening on (\S+)\s*$/m;

function runnerAddress(lesson: NodeProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const look = () => {
      const found = RUNNER_LISTENING.exec(lesson.stdout());
      if (found?.[1]) resolve(found[1]);
    };
    lesson.child.stdout.on('data', look);
    void lesson.exited.then(({ code, stdout, stderr }) => reject(new Error(`exited ${code} before listening:\n${stdout}${stderr}`)));
  });
}

/** What the Python client must see from a lesson with these features. */
function expected(has: (f: Feature) => boolean, step: string) {
  const handled: Record<string, number> = {
    'greeter.v1.Greeter/SayHello unary OK': 1,
    'greeter.v1.Greeter/SayHello unary InvalidArgument': has('validation') ? 2 : 1,
    ...(has('auth') && { 'greeter.v1.Greeter/SayHello unary Unauthenticated': 2 }),
    ...(has('stream') && {
      'greeter.v1.Greeter/StreamGreetings server_stream OK': 1,
      'greeter.v1.Greeter/StreamGreetings server_stream InvalidArgument': has('validation') ? 2 : 1,
    }),
    ...(has('chat') && { 'greeter.v1.Greeter/Chat bidi_stream OK': 2 }),
    ...(has('health') && { 'grpc.health.v1.Health/Check unary OK': 2, 'grpc.health.v1.Health/Check unary NotFound': 1 }),
    ...(has('reflection') && { 'grpc.reflection.v1.ServerReflection/ServerReflectionInfo bidi_stream OK': 1 }),
  };
  return {
    SayHello: 'Hello, Python!',
    'SayHello ""': 'INVALID_ARGUMENT',
    ...(has('auth') && { 'SayHello without a token': 'UNAUTHENTICATED', 'SayHello with a wrong token': 'UNAUTHENTICATED' }),
    ...(has('stream') && {
      'StreamGreetings × 3': ['#1 Hello, Python!', '#2 Hello, Python!', '#3 Hello, Python!'],
      'StreamGreetings ""': 'INVALID_ARGUMENT',
    }),
    ...(has('chat') && {
      Chat: { received: { ana: ['ana: hi from ana', 'bo: hi from bo'], bo: ['bo: hi from bo'] }, status: { ana: 'OK', bo: 'OK' } },
    }),
    ...(has('validation') && {
      'SayHello " Ada" (BadRequest)': {
        code: 'INVALID_ARGUMENT',
        'status code': 3,
        violations: ['name NAME_TRIMMED: must not start or end with whitespace'],
      },
      'StreamGreetings "" × 20000 (BadRequest)': {
        code: 'INVALID_ARGUMENT',
        'status code': 3,
        violations: ['name REQUIRED: value is required', 'count UINT32_LTE: must be less than or equal to 10000'],
      },
    }),
    ...(has('tls') && { 'TLS, client trusts another CA': 'UNAVAILABLE', 'plaintext to a TLS server': 'UNAVAILABLE' }),
    ...(has('health') && { 'health Check (no token)': { '': 'SERVING', 'greeter.v1.Greeter': 'SERVING', 'no.such.Service': 'NOT_FOUND' } }),
    ...(has('reflection') && {
      'reflection (no token)': {
        services: ['greeter.v1.Greeter', ...(servesV2(step) ? ['greeter.v2.Greeter'] : []), 'grpc.health.v1.Health'],
        'greeter.v1.Greeter methods': ['SayHello', 'StreamGreetings', 'Chat'],
        "messages that differ from the client's .proto": {},
      },
    }),
    ...(has('metrics') && { grpc_server_handled_total: handled }),
    // Health says NOT_SERVING first, the room closes its members, the in-flight stream drains to its end.
    'SIGTERM with streams open': {
      ...(has('health') && { 'health Watch': ['SERVING', 'NOT_SERVING'] }),
      ...(has('chat') && { Chat: 'UNAVAILABLE' }),
      ...(has('stream') && { 'StreamGreetings × 5': '5 greetings, OK' }),
    },
  };
}

describe.concurrent('a Python grpcio client against each lesson’s `serve`', () => {
  it('finds the lessons', () => {
    expect(lessons.slice(0, 9).map((d) => d.slice(0, 2))).toEqual(['01', '02', '03', '04', '05', '06', '07', '08', '09']);
  });

  for (const dir of lessons) {
    const step = dir.slice(0, 2);
    const features = (Object.keys(SINCE) as Feature[]).filter((f) => SINCE[f] <= step);
    const has = (f: Feature) => features.includes(f);

    it(`${dir}: ${['SayHello', ...features].join(', ')}, SIGTERM`, async () => {
      const stepDir = join(root, 'steps', dir);
      const preload: string[] = JSON.parse(readFileSync(join(stepDir, 'package.json'), 'utf8')).course?.preload ?? [];
      const lesson = startLesson(stepDir, ['serve', '--port', '0'], {
        preload: preload.map((p) => join(stepDir, p)),
        env: { AUTH_TOKEN: TOKEN, CERTS_DIR: certs, METRICS_PORT: '0' },
      });
      try {
        const address = await runnerAddress(lesson);
        // TLS clients dial the name on the server certificate.
        const target = has('tls') ? address.replace(/^127\.0\.0\.1:/, 'localhost:') : address;
        const args = ['--target', target, '--proto-root', PROTO_ROOT, ...PROTO_INCLUDE_DIRS.flatMap((dir) => ['-I', dir])];
        args.push('--features', features.join(','), '--token', TOKEN);
        args.push('--ca', certPaths(certs).ca.cert, '--other-ca', otherCa, '--health-proto', protos.health);
        args.push('--reflection-proto', protos.reflection, '--rpc-proto-root', protos.rpc, '--sigterm', String(lesson.child.pid));
        for (const [url] of lesson.stdout().matchAll(/http:\/\/\S+\/metrics/g)) args.push('--metrics-url', url);
        const { stdout } = await run(pythonPath(), [script, ...args]).catch((err: { code?: number; stderr?: string }) => {
          throw new Error(
            `interop.py failed (exit ${err.code}):\n${err.stderr}\nthe lesson printed:\n${lesson.stdout()}${lesson.stderr()}`,
          );
        });
        const exit = await lesson.exited;
        expect(JSON.parse(stdout)).toEqual(expected(has, step));
        expect(exit.code).toBe(0);
        expect(exit.stdout).toMatch(/SIGTERM: stopping[\s\S]*stopped/);
        expect(exit.stderr).toBe('');
        if (has('auth')) expect(exit.stdout).not.toMatch(new RegExp(`${TOKEN}|not-the-token`));
      } finally {
        if (lesson.child.exitCode === null) lesson.child.kill('SIGKILL');
      }
      // A hang guard, not a timing goal: on a slow 2-core runner, a lesson's start-up, its Logger and the
      // Python client share the cores with the other test files.
    }, 120_000);
  }
});
