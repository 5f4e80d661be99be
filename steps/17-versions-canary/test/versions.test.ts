// Why v2 is a package of its own: buf breaking accepts adding greeter.v2,
// and rejects (exit 100) the same change made inside greeter.v1. And v1,
// served on v2's logic in the canary, answers exactly as stable's v1 does.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageProtos } from '../../../scripts/stage-protos.js';
import { createGreeterV2Client, type DeploymentHandle, sayHelloV1, sayHelloV2, startDeployment } from '../src/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const buf = join(root, 'node_modules/.bin/buf');

/**
 * proto/ as committed, copied without its node_modules and generated code, with `edit` applied to one
 * file, then staged with what it imports from other packages (google/api), as `pnpm check:breaking` does.
 */
function scratchProtos(edit?: { file: string; change(text: string): string }, drop: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'course-buf-'));
  cpSync(join(root, 'proto'), dir, {
    recursive: true,
    filter: (src) => !/[/\\](node_modules|gen)([/\\]|$)/.test(src.slice(root.length)) && !drop.some((d) => src.endsWith(d)),
  });
  if (edit) writeFileSync(join(dir, edit.file), edit.change(readFileSync(join(dir, edit.file), 'utf8')));
  const staged = mkdtempSync(join(tmpdir(), 'course-buf-staged-'));
  stageProtos(staged, dir);
  rmSync(dir, { recursive: true, force: true });
  return staged;
}

function breaking(input: string, against: string) {
  return spawnSync(buf, ['breaking', input, '--against', against], { encoding: 'utf8' });
}

describe('buf breaking', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('accepts greeter.v2 added beside greeter.v1', () => {
    const before = scratchProtos(undefined, ['v2']);
    const now = scratchProtos();
    dirs.push(before, now);
    const result = breaking(now, before);
    expect(result.stderr + result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it("rejects v2's change made inside v1 with exit 100, naming the field", () => {
    const changed = scratchProtos({
      file: 'greeter/v1/greeter.proto',
      change: (text) =>
        text.replace('  string name = 1;', '  PersonName name = 1;') +
        '\nmessage PersonName {\n  string given = 1;\n  string family = 2;\n}\n',
    });
    const committed = scratchProtos();
    dirs.push(changed, committed);
    const result = breaking(changed, committed);
    expect(result.status).toBe(100);
    expect(result.stdout).toMatch(/greeter\/v1\/greeter\.proto:.*"1" with name "name" on message "HelloRequest" changed type/);
  });
});

describe('v1 on v2', () => {
  const quiet = { token: 'versions-token', logger: createLogger({ level: 'silent' }), metricsAddress: { host: '127.0.0.1', port: 0 } };
  let logger: Awaited<ReturnType<typeof startLoggerServer>>;
  let stable: DeploymentHandle;
  let canary: DeploymentHandle;
  let remove: () => void;
  let ca: Buffer;

  beforeAll(async () => {
    const temporary = await temporaryCertificates('course-versions-');
    remove = temporary.remove;
    ca = temporary.certs.ca;
    const options = { ...quiet, certs: temporary.certs, graceMs: 1_000, drainDelayMs: 0 };
    logger = await startLoggerServer(options);
    const loggerTarget = `localhost:${logger.port}`;
    stable = await startDeployment({ ...options, track: 'stable', port: 0, loggerTarget });
    canary = await startDeployment({ ...options, track: 'canary', port: 0, loggerTarget });
  });
  afterAll(async () => {
    await Promise.all([stable?.stop(), canary?.stop()]);
    await logger?.stop();
    remove?.();
  });

  const v1Client = (d: DeploymentHandle) => createGreeterClient(`localhost:${d.port}`, { ca, token: quiet.token });

  it('the canary answers v1 calls as stable does, valid or not, each with its own release', async () => {
    const [s, c] = [v1Client(stable), v1Client(canary)];
    try {
      for (const name of ['Ada', '', 'x'.repeat(101)]) {
        const [fromStable, fromCanary] = [await sayHelloV1(s, name), await sayHelloV1(c, name)];
        expect(fromCanary.message).toBe(fromStable.message);
        expect(fromCanary.error?.code).toBe(fromStable.error?.code);
        expect(fromCanary.error?.details).toBe(fromStable.error?.details);
        expect([fromStable.version, fromCanary.version]).toEqual(['1.0', '1.1']);
      }
    } finally {
      s.close();
      c.close();
    }
  });

  it('v2 greets a name in parts, needs the given name, and is served by canary only', async () => {
    const toCanary = createGreeterV2Client(`localhost:${canary.port}`, { ca, token: quiet.token });
    const toStable = createGreeterV2Client(`localhost:${stable.port}`, { ca, token: quiet.token });
    try {
      expect((await sayHelloV2(toCanary, { given: 'Grace', family: 'Hopper' })).message).toBe('Hello, Grace Hopper!');
      expect((await sayHelloV2(toCanary, { given: '', family: 'Hopper' })).error?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect((await sayHelloV2(toStable, { given: 'Grace', family: 'Hopper' })).error?.code).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      toCanary.close();
      toStable.close();
    }
  });
});
