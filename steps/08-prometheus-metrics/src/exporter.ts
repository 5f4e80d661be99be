// /metrics over plain HTTP for Prometheus to scrape: on loopback unless told
// otherwise, because metrics describe your traffic to whoever can read them.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@course/05-metadata-auth';
import type { Registry } from 'prom-client';

export const DEFAULT_METRICS_PORT = 9464;

export interface MetricsAddress {
  host: string;
  port: number;
}

/** METRICS_PORT (default 9464) and METRICS_HOST (default 127.0.0.1). */
export function metricsAddressFromEnv(env: NodeJS.ProcessEnv = process.env): MetricsAddress {
  const text = env.METRICS_PORT || String(DEFAULT_METRICS_PORT);
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new ConfigError(`METRICS_PORT must be a port number from 0 to 65535, got '${text}'`);
  return { host: env.METRICS_HOST || '127.0.0.1', port };
}

export interface MetricsExporter {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startMetricsExporter(registry: Registry, { host, port }: MetricsAddress): Promise<MetricsExporter> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found: metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(`could not collect metrics: ${(err as Error).message}\n`),
    );
  });
  server.listen(port, host);
  try {
    // once() rejects with the 'error' event's error, so a port in use lands here.
    await once(server, 'listening');
  } catch (err) {
    // Node's "listen EADDRINUSE ... 127.0.0.1:9464" does not say which port this is, or what moves it.
    const { code, message } = err as NodeJS.ErrnoException;
    const why = code === 'EADDRINUSE' ? 'address already in use' : message;
    throw Object.assign(new Error(`cannot serve metrics on ${host}:${port}: ${why} (METRICS_PORT moves the metrics port)`), { code });
  }
  const bound = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}/metrics`,
    port: bound,
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
