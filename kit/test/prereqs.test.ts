// The prerequisite check as a learner meets it: one line naming the packages when tools are missing.
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { missingTools, packagesFor, TOOLS } from '../src/prereqs.js';

const script = fileURLToPath(new URL('../src/prereqs.ts', import.meta.url));
const check = (env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, '--check'], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('prerequisites', () => {
  it('finds every tool the tests use on this machine', () => {
    expect(missingTools().map((t) => t.name)).toEqual([]);
    expect(check({}).status).toBe(0);
  });

  it('stops at once with one line naming the Debian packages when tools are missing', () => {
    // Only Node's own folder on PATH, and a python that does not exist: nothing else is found.
    const result = check({ PATH: dirname(process.execPath), PYTHON: '/nonexistent/python3' });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^error: the tests need promtool, prometheus, python3 grpcio, python3 grpc_tools, h2load, docker-compose, nats-server, haproxy, socat, chromium, protoc, which/,
    );
    expect(lines[0]).toContain(`sudo apt-get install -y --no-install-recommends ${packagesFor(TOOLS).join(' ')}`);
  });
});
