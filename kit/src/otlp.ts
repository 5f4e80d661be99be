// An OTLP/HTTP receiver for tests of traced processes: what a collector or
// Jaeger's port 4318 does with the JSON the OpenTelemetry exporter posts,
// minus the storage. Tests await the spans they expect instead of sleeping.
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as OTLP JSON carries it (the fields the course's tests read). */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 2 SERVER, 3 CLIENT */
  kind: number;
  status?: { code?: number };
}

export const SPAN_KIND = { SERVER: 2, CLIENT: 3 } as const;
export const STATUS_ERROR = 2;

export interface ReceivedSpan {
  /** The exporting process's `service.name` (OTEL_SERVICE_NAME). */
  service: string;
  span: OtlpSpan;
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  received: ReceivedSpan[];
  /** Resolves once the spans received so far satisfy check; rejects after timeoutMs. */
  until(check: (received: ReceivedSpan[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface ExportRequest {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const arrivals = new EventEmitter();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      for (const rs of (JSON.parse(body) as ExportRequest).resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans) for (const span of ss.spans) received.push({ service, span });
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      arrivals.emit('spans');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    until(check, what, timeoutMs = 15_000) {
      if (check(received)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          arrivals.off('spans', look);
          reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(received)}`));
        }, timeoutMs);
        const look = () => {
          if (!check(received)) return;
          clearTimeout(timer);
          arrivals.off('spans', look);
          resolve();
        };
        arrivals.on('spans', look);
      });
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
