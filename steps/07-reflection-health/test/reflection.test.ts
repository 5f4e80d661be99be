// Reflection for strict clients, which learn the API from reflection alone and
// check what they are sent: Python's descriptor pool (Debian python3-grpcio),
// which refuses invalid descriptors, and `buf curl` (Go).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLogger } from '@course/04-interceptors';
import { certPaths, ensureCertificates, loadCertificates } from '@course/kit/certs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HealthServerHandle, startGreeterServer } from '../src/index.js';

const run = promisify(execFile);
// Debian's grpcio lives in the system Python, not in a pyenv or venv one.
const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const buf = fileURLToPath(new URL('../../../node_modules/.bin/buf', import.meta.url));
const require = createRequire(import.meta.url);
const reflectionDir = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1');
const work = mkdtempSync(join(tmpdir(), 'course-reflection-'));
const certs = join(work, 'certs');
const generated = join(work, 'generated');
const TOKEN = 'reflection-token';
let server: HealthServerHandle;

beforeAll(async () => {
  await ensureCertificates(certs);
  // Only the reflection stubs: everything else the client learns from the server. protoc does not make its output folder.
  mkdirSync(generated);
  await run(python, [
    '-m',
    'grpc_tools.protoc',
    `-I${reflectionDir}`,
    `--python_out=${generated}`,
    `--grpc_python_out=${generated}`,
    'reflection.proto',
  ]);
  server = await startGreeterServer({
    certs: loadCertificates(certs),
    token: TOKEN,
    logger: createLogger({ level: 'silent', pretty: false }),
  });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

it("gives Python's descriptor pool valid files under their real names, enough to call both services", async () => {
  const script = fileURLToPath(new URL('reflect.py', import.meta.url));
  const { stdout } = await run(python, [script, generated, `localhost:${server.port}`, certPaths(certs).ca.cert, TOKEN]);
  expect(JSON.parse(stdout)).toEqual({
    // greeter.proto imports google/api/annotations.proto for its HTTP routes (lesson 19), and so on down.
    files: [
      'google/api/annotations.proto',
      'google/api/http.proto',
      'google/protobuf/descriptor.proto',
      'greeter/v1/greeter.proto',
      'grpc/health/v1/health.proto',
    ],
    methods: { 'greeter.v1.Greeter': ['Chat', 'SayHello', 'StreamGreetings'], 'grpc.health.v1.Health': ['Check', 'List', 'Watch'] },
    say_hello: { message: 'Hello, Ada!' },
    health: { status: 'SERVING' },
  });
});

it.each([
  ['greeter.v1.Greeter/SayHello', ['-H', `authorization: Bearer ${TOKEN}`, '-d', '{"name":"Ada"}'], { message: 'Hello, Ada!' }],
  ['grpc.health.v1.Health/Check', [], { status: 'SERVING' }],
])('lets `buf curl` call %s with the schema from reflection', async (method, args, reply) => {
  // 127.0.0.1, not localhost: buf tries ::1 first, and the server listens on IPv4.
  const url = `https://127.0.0.1:${server.port}/${method}`;
  const { stdout } = await run(buf, ['curl', '--protocol', 'grpc', '--cacert', certPaths(certs).ca.cert, ...args, url]);
  expect(JSON.parse(stdout)).toEqual(reply);
});
