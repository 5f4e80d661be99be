// What the gateway's tests start: a Logger, lesson 18's Greeter (with the
// limits and handlers a test gives) and the gateway in front, on free ports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@course/04-interceptors';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { InProcessBroker } from '@course/16-async-events';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import type { GreeterHandlers } from '@course/proto/gen/greeter/v1/Greeter';
import { type GatewayHandle, type GatewayOptions, type GreeterHandle, startGateway, startGreeterServer } from '../src/index.js';

export const TOKEN = 'gateway-test-token';
const ANY_PORT = { host: '127.0.0.1', port: 0 };

export interface Setup {
  greeter: GreeterHandle;
  gateway: GatewayHandle;
  ca: Buffer;
  /** A fetch of the gateway, with the token unless `token` is given (null: none). */
  get(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  /** The Greeter's grpc_server_handled_total for a method and code (Go's spelling: Canceled). */
  handled(method: string, code: string): Promise<number>;
  close(): Promise<void>;
}

export async function startAll(
  options: { limits?: Record<string, number>; handlers?: Partial<GreeterHandlers>; gateway?: Partial<GatewayOptions> } = {},
): Promise<Setup> {
  const { certs, remove } = await temporaryCertificates('course-gateway-');
  const dir = mkdtempSync(join(tmpdir(), 'lesson-19-'));
  const silent = createLogger({ level: 'silent' });
  const logger = await startLoggerServer({ certs, logger: silent, metricsAddress: ANY_PORT });
  const greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    logger: silent,
    metricsAddress: ANY_PORT,
    loggerTarget: `localhost:${logger.port}`,
    outboxPath: join(dir, 'outbox.db'),
    broker: new InProcessBroker(),
    limits: options.limits,
    handlers: options.handlers,
  });
  const gateway = await startGateway({ target: `localhost:${greeter.port}`, ca: certs.ca, ...options.gateway });
  return {
    greeter,
    gateway,
    ca: certs.ca,
    get(path, { token = TOKEN, headers, ...init } = {}) {
      const all = new Headers(headers);
      if (token !== null) all.set('authorization', `Bearer ${token}`);
      return fetch(new URL(path, gateway.url), { ...init, headers: all });
    },
    async handled(method, code) {
      const text = await greeter.registry.getSingleMetricAsString('grpc_server_handled_total');
      const line = text.split('\n').find((l) => l.includes(`grpc_method="${method}"`) && l.includes(`grpc_code="${code}"`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    },
    async close() {
      await gateway.stop();
      await greeter.stop();
      await logger.stop();
      rmSync(dir, { recursive: true, force: true });
      await remove();
    },
  };
}
