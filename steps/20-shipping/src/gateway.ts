// Lesson 19's gateway as it runs in a container: the same Fastify app, plus
// two paths for the kubelet's httpGet probes. An HTTP server needs no probe
// port of its own: the kubelet speaks HTTP, and these paths tell nothing secret.
import { setTimeout as sleep } from 'node:timers/promises';
import { checkHealth, createHealthClient } from '@course/07-reflection-health';
import { type GatewayHandle, type GatewayOptions, startGateway } from '@course/19-rest-gateway';
import * as grpc from '@grpc/grpc-js';

/** Readiness: 200 only while the Greeter behind answers SERVING and the gateway is not draining. */
export const READINESS_PATH = '/healthz';
/** Liveness: 200 while the process answers at all, whatever the Greeter does (a restart would not mend it). */
export const LIVENESS_PATH = '/livez';

export interface ShippedGatewayOptions extends GatewayOptions {
  /** How long /healthz answers 503 before the gateway stops taking requests (default 0: at once). */
  drainDelayMs?: number;
  /** The deadline of the health Check behind /healthz: under the probe's 1 s timeout. */
  checkMs?: number;
}

export type ShippedGatewayHandle = GatewayHandle & { ready(): Promise<{ ready: boolean; greeter: string }> };

/**
 * Starts lesson 19's gateway with /healthz and /livez. /healthz asks the
 * Greeter's grpc.health.v1 Check over TLS (a public method: no token), so a
 * gateway whose Greeter is gone or draining leaves the load balancer's pool
 * instead of answering 503s to every caller. A stop turns /healthz to 503
 * first, waits drainDelayMs, then drains as lesson 19's gateway does.
 */
export async function startShippedGateway({
  drainDelayMs = 0,
  checkMs = 800,
  ...options
}: ShippedGatewayOptions): Promise<ShippedGatewayHandle> {
  const health = createHealthClient(options.target, grpc.credentials.createSsl(options.ca));
  let draining = false;
  const ready = async () => {
    if (draining) return { ready: false, greeter: 'not asked: the gateway is draining' };
    const greeter = await checkHealth(health, '', checkMs).catch((err: grpc.ServiceError) => grpc.status[err.code] ?? String(err));
    return { ready: greeter === 'SERVING', greeter };
  };
  let gateway: GatewayHandle;
  try {
    gateway = await startGateway({
      ...options,
      configure(app) {
        app.get(READINESS_PATH, async (_request, reply) => {
          const { ready: ok, greeter } = await ready();
          return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', greeter });
        });
        app.get(LIVENESS_PATH, () => ({ status: 'alive' }));
        options.configure?.(app);
      },
    });
  } catch (err) {
    health.close();
    throw err;
  }
  return {
    ...gateway,
    ready,
    async stop() {
      draining = true;
      if (drainDelayMs > 0) await sleep(drainDelayMs);
      await gateway.stop();
      health.close();
    },
  };
}
