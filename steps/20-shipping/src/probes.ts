// The kubelet's way in: a plaintext listener that serves grpc.health.v1.Health
// and nothing else, on a port of its own, beside the TLS server it reports on.
// Kubernetes' `grpc:` probes cannot speak TLS (kubernetes/kubernetes#119093).
import { type ServerHandle, startServer, statusError } from '@course/01-unary';
import { addHealth, checkHealth, createHealthClient, type HealthWatches, type ServingStatus } from '@course/07-reflection-health';
import * as grpc from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';

/** Where the probe listener listens unless --probe-port or PROBE_PORT say otherwise (the Logger's: one more). */
export const DEFAULT_PROBE_PORT = 8086;

/**
 * The health name the liveness probe asks for. It stays SERVING while the
 * process answers at all: a drain sets the served services NOT_SERVING (so
 * readiness fails and traffic moves away), and a liveness probe that failed
 * then would have the kubelet kill the pod in the middle of its drain.
 */
export const LIVENESS_SERVICE = 'liveness';

export interface ProbeListener {
  port: number;
  address: string;
  stop(): Promise<void>;
}

/**
 * Serves `health` (the same HealthImplementation the TLS server answers from,
 * so NOT_SERVING during a drain shows here too) without TLS or a token. It
 * tells nothing but serving states, which is why it may go without them.
 */
export async function startProbeListener(health: HealthImplementation, { host = '127.0.0.1', port = 0 } = {}): Promise<ProbeListener> {
  health.setStatus(LIVENESS_SERVICE, 'SERVING');
  let watches: HealthWatches = new Set();
  const handle: ServerHandle = await startServer({
    host,
    port,
    stopTimeoutMs: 1_000,
    register(server) {
      watches = addHealth(server, health);
    },
  });
  return {
    port: handle.port,
    address: handle.address,
    async stop() {
      for (const call of watches) call.emit('error', statusError(grpc.status.UNAVAILABLE, 'the server is stopping'));
      await handle.stop();
    },
  };
}

/** Health Check as the kubelet sends it: plaintext, one service name, a one-second timeout; the status, or the error's code. */
export async function probe(target: string, service: string): Promise<ServingStatus | string> {
  const client = createHealthClient(target, grpc.credentials.createInsecure());
  try {
    return await checkHealth(client, service, 1_000);
  } catch (err) {
    return grpc.status[(err as grpc.ServiceError).code] ?? String(err);
  } finally {
    client.close();
  }
}

/** Probes every 50 ms until `service` at target says `status`. */
export async function untilStatus(target: string, service: string, status: ServingStatus): Promise<void> {
  while ((await probe(target, service)) !== status) await new Promise((resolve) => setTimeout(resolve, 50));
}
