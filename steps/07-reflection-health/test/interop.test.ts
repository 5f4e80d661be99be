// An independent gRPC implementation uses the lesson 07 server: Python's grpcio
// (Debian python3-grpcio), with stubs compiled by grpc_tools at test time.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLogger } from '@course/04-interceptors';
import { certPaths, ensureCertificates, loadCertificates } from '@course/kit/certs';
import { PROTO_ROOT } from '@course/proto';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { afterAll, expect, it } from 'vitest';
import { startGreeterServer } from '../src/index.js';

const run = promisify(execFile);
// Debian's grpcio lives in the system Python, not in a pyenv or venv one.
const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const require = createRequire(import.meta.url);
const reflectionDir = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1');
const work = mkdtempSync(join(tmpdir(), 'course-interop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('Python grpcio checks health, lists services by reflection and calls SayHello over TLS with the token', async () => {
  const certs = join(work, 'certs');
  await ensureCertificates(certs);
  const generated = join(work, 'generated');
  // protoc does not make its output folder.
  mkdirSync(generated);
  const includes = [join(PROTO_ROOT, 'greeter/v1'), reflectionDir, dirname(healthProtoPath)].map((d) => `-I${d}`);
  await run(python, [
    '-m',
    'grpc_tools.protoc',
    ...includes,
    `--python_out=${generated}`,
    `--grpc_python_out=${generated}`,
    'greeter.proto',
    'reflection.proto',
    'health.proto',
  ]);
  const server = await startGreeterServer({
    certs: loadCertificates(certs),
    token: 'python-token',
    logger: createLogger({ level: 'silent', pretty: false }),
  });
  try {
    const script = fileURLToPath(new URL('interop.py', import.meta.url));
    const { stdout } = await run(python, [script, generated, `localhost:${server.port}`, certPaths(certs).ca.cert, 'python-token']);
    expect(JSON.parse(stdout)).toEqual({
      health: 'SERVING',
      services: ['greeter.v1.Greeter', 'grpc.health.v1.Health'],
      reply: 'Hello, Python!',
      without_token: 'UNAUTHENTICATED',
    });
  } finally {
    await server.stop();
  }
});
