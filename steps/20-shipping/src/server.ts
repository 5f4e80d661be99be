// Lesson 19's Greeter (lesson 18's, re-exported) and Logger as they run in a container: each beside a
// plaintext probe listener for the kubelet, which stops after the server it
// reports on, so a probe during the drain hears NOT_SERVING, not a refusal.
import type { HealthServerHandle } from '@course/07-reflection-health';
import { startLoggerServer as startPreviousLogger } from '@course/11-metadata-propagation';
// The previous step's Greeter, imported here and nowhere else.
import { type GreeterHandle, type GreeterOptions, startGreeterServer as startPreviousGreeter } from '@course/19-rest-gateway';
import { type ProbeListener, startProbeListener } from './probes.js';

export interface ProbeOptions {
  /** Where the probe listener binds; default the server's host, port 0. */
  probe?: { host?: string; port?: number };
}

export type WithProbe<H> = H & { probe: ProbeListener };

/** Starts a server, then its probe listener on the same HealthImplementation; stop() drains the server, then closes the probe. */
export async function withProbeListener<H extends HealthServerHandle>(
  server: H,
  { host, port = 0 }: { host?: string; port?: number },
): Promise<WithProbe<H>> {
  let probe: ProbeListener;
  try {
    probe = await startProbeListener(server.health, { host: host ?? server.host, port });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    ...server,
    probe,
    async stop() {
      await server.stop();
      await probe.stop();
    },
  };
}

export type ShippedGreeterHandle = WithProbe<GreeterHandle>;

export async function startGreeterServer({ probe = {}, ...options }: GreeterOptions & ProbeOptions): Promise<ShippedGreeterHandle> {
  return withProbeListener(await startPreviousGreeter(options), probe);
}

export async function startLoggerServer({ probe = {}, ...options }: Parameters<typeof startPreviousLogger>[0] & ProbeOptions = {}) {
  return withProbeListener(await startPreviousLogger(options), probe);
}
