// The metrics port as a learner meets it: taken by something else, `serve` says
// it is the metrics port and which setting moves it, in one line.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLesson } from '@course/kit';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'course-certs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a metrics port in use stops `serve` with one line naming the port and METRICS_PORT', async () => {
  const taken = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => taken.once('listening', r));
  const { port } = taken.address() as net.AddressInfo;
  try {
    const step = fileURLToPath(new URL('..', import.meta.url));
    const { code, stdout, stderr } = await startLesson(step, ['serve', '--port', '0'], {
      env: { METRICS_PORT: String(port), CERTS_DIR: dir },
    }).exited;
    expect({ code, stderr }).toEqual({
      code: 1,
      stderr: `error: cannot serve metrics on 127.0.0.1:${port}: address already in use (METRICS_PORT moves the metrics port)\n`,
    });
    expect(stdout).not.toContain('listening');
  } finally {
    await new Promise((r) => taken.close(r));
  }
});
