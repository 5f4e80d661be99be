// What the metrics exercises share: a real server on port 0 with its /metrics, and one sample read from a scrape.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@course/04-interceptors';
import { type Certificates, ensureCertificates, loadCertificates } from '@course/kit/certs';
import { createGreeterClient, type MetricsServerHandle, type MetricsServerOptions, startGreeterServer } from '../src/index.js';
import { parseExposition, sample } from '../test/scrape.js';

export const TOKEN = 'metrics-exercise-token';

export interface Scraped {
  server: MetricsServerHandle;
  certs: Certificates;
  /** A TLS client with the token, to `target` (default: the server). */
  client(target?: string): ReturnType<typeof createGreeterClient>;
  /** One series' value in a fresh scrape; undefined when the series does not exist. */
  value(name: string, labels: Record<string, string>): Promise<number | undefined>;
  close(): Promise<void>;
}

export async function scrapedServer(options: MetricsServerOptions = {}): Promise<Scraped> {
  const dir = mkdtempSync(join(tmpdir(), 'ex08-'));
  await ensureCertificates(dir);
  const certs = loadCertificates(dir);
  const server = await startGreeterServer({
    certs,
    token: TOKEN,
    metricsAddress: { host: '127.0.0.1', port: 0 },
    logger: createLogger({ level: 'silent', pretty: false }),
    ...options,
  });
  const clients: ReturnType<typeof createGreeterClient>[] = [];
  return {
    server,
    certs,
    client(target = `localhost:${server.port}`) {
      const client = createGreeterClient(target, { ca: certs.ca, token: TOKEN });
      clients.push(client);
      return client;
    },
    async value(name, labels) {
      return sample(parseExposition(await (await fetch(server.metricsUrl)).text()), name, labels);
    },
    async close() {
      for (const client of clients) client.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
