// Lesson 11 as the step runner drives it (tracing preloaded): calls with ids
// and without, the request id each answer carries, the headers each hop
// receives, what the Logger kept, and one trace through both services.
import { fileURLToPath } from 'node:url';
import { createLogger } from '@course/04-interceptors';
import { metadataInterceptor, tokenFromEnv } from '@course/05-metadata-auth';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { recentSpans } from '@course/09-tracing';
import { loggerTokenFromEnv } from '@course/10-two-services';
import {
  describeEntry,
  loggerMode,
  serveWithLogger,
  showEntries,
  lesson as twoServicesLesson,
  withBothServers,
} from '@course/10-two-services/lesson';
import { codeName, type Lesson, outcome, row } from '@course/kit';
import { DEFAULT_CERTS_DIR, loadClientCertificates } from '@course/kit/certs';
import type { StoredEntry__Output } from '@course/proto/gen/logger/v1/StoredEntry';
import * as grpc from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { type Answer, type Ids, sayHelloWithIds } from './client.js';
import { startGreeterServer, startLoggerServer } from './server.js';

const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));

/** A stored entry with the ids the Logger kept for it. */
export function describeWithIds(e: StoredEntry__Output): string {
  return `${describeEntry(e)}, user ${e.userId || '-'}, request ${e.requestId || '-'}`;
}

/** A server interceptor that reports the headers each call arrives with: the demo's window on what travels. */
export function headerRecorder(record: (path: string, metadata: grpc.Metadata) => void): grpc.ServerInterceptor {
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            record(method.path, metadata.clone());
            nextMetadata(metadata);
          },
        }),
    });
}

/** An answer as a row: how the call ended, and the request id its headers (or trailers) carried. */
function describeAnswer({ reply, error, requestId, requestIdIn }: Answer): string {
  return `${reply ? `${codeName('OK', 'OK')}  ${reply.message}` : outcome(error)};  x-request-id ${requestId}${requestIdIn === 'trailers' ? ' (trailers)' : ''}`;
}

/** Where an answer's request id came: a failed call's, from the trailers of a status sent alone. */
const whence = ({ requestIdIn }: Answer) => (requestIdIn === 'trailers' ? 'the trailers' : 'the response headers');

/** Headers by name, with which token an authorization header carries, never the token itself. */
function describeHeaders(metadata: grpc.Metadata, tokens: Record<string, string>): string {
  const names = Object.keys(metadata.getMap()).filter((k) => k.startsWith('x-') || k === 'authorization' || k === 'traceparent');
  return names
    .sort()
    .map((k) => (k === 'authorization' ? `authorization (${tokens[String(metadata.get(k)[0])] ?? 'another token'})` : k))
    .join(', ');
}

/** The spans of one trace as a tree, each under its parent. */
function showTrace(traceId: string, what: string): void {
  const spans = recentSpans.all().filter((s) => s.spanContext().traceId === traceId);
  row('trace', `${traceId}, ${what}: ${spans.length} spans`);
  const under = (parent: string | undefined, depth: number) => {
    for (const span of spans.filter((s) => s.parentSpanContext?.spanId === parent)) {
      const ms = (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(1);
      row('', `${'  '.repeat(depth)}${SpanKind[span.kind].padEnd(6)} ${span.name.padEnd(40 - 2 * depth)} ${ms.padStart(6)} ms`);
      under(span.spanContext().spanId, depth + 1);
    }
  };
  under(undefined, 0);
}

export const lesson: Lesson = {
  ...twoServicesLesson,
  step: '11',
  title: 'Metadata propagation',
  summary:
    'x-user-id and x-request-id travel from caller to Greeter to Logger; only an allow-list travels, and one trace spans both services.',
  flags: {
    serve: twoServicesLesson.flags?.serve,
    client: {
      ...twoServicesLesson.flags?.client,
      user: { type: 'string', placeholder: 'ID', description: 'send x-user-id: ID' },
      'request-id': { type: 'string', placeholder: 'ID', description: 'send x-request-id: ID (default: the Greeter makes one up)' },
    },
  },
  async demo() {
    const tokens = { [`Bearer ${tokenFromEnv()}`]: 'AUTH_TOKEN', [`Bearer ${loggerTokenFromEnv()}`]: 'LOGGER_TOKEN' };
    const arrived = new Map<string, grpc.Metadata>();
    // The headers of the first greeting, as the Greeter and then the Logger receive them.
    const record = (hop: string) => ({
      interceptors: [headerRecorder((path, metadata) => /\/(SayHello|Log)$/.test(path) && !arrived.has(hop) && arrived.set(hop, metadata))],
    });
    await withBothServers(
      { logger: startLoggerServer, greeter: startGreeterServer },
      {
        logger: { serverOptions: record('Logger') },
        greeter: { logger: createLogger({ level: 'silent' }), serverOptions: record('Greeter') },
        // The caller also sends a header of its own, which is not on the allow-list.
        client: { interceptors: [metadataInterceptor({ 'x-debug': 'on' })] },
      },
      async ({ loggerServer, client }) => {
        const calls: [string, Ids][] = [
          ['Ada', { userId: 'u-42', requestId: 'req-1' }],
          ['Bob', {}],
          ['', { requestId: 'req-3' }],
        ];
        for (const [name, ids] of calls) {
          const input = `"${name}"${ids.userId ? `, user ${ids.userId}` : ''}${ids.requestId ? `, ${ids.requestId}` : ', no ids'}`;
          row('SayHello', `${input.padEnd(26)} → ${describeAnswer(await sayHelloWithIds(client, name, ids))}`);
        }
        for (const entry of loggerServer.book.newest()) {
          row('kept', `#${entry.sequence} "${entry.entry?.text}"  user ${entry.userId || '-'}, request ${entry.requestId}`);
        }
        for (const [hop, metadata] of arrived) row('headers', `${`at the ${hop}:`.padEnd(16)} ${describeHeaders(metadata, tokens)}`);
        const first = recentSpans.all().find((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext === undefined);
        if (first) showTrace(first.spanContext().traceId, "Ada's greeting");
        else row('trace', 'no spans: run the demo with `pnpm step 11`, which preloads tracing');
      },
    );
  },
  serve: serveWithLogger(STEP_DIR, startGreeterServer),
  async client(context) {
    const { target, flags } = context;
    if (flags.entries === true) return showEntries(context, describeWithIds);
    if (flags.health === true || flags.list === true) return twoServicesLesson.client(context);
    // Read, never made: a CA made here would not be the one the running server's certificate comes from.
    const { ca, client: cert } = loadClientCertificates(DEFAULT_CERTS_DIR, { mtls: flags.mtls === true });
    const client = createGreeterClient(target, { ca, client: cert, token: tokenFromEnv() });
    try {
      const ids = { userId: flags.user as string | undefined, requestId: flags['request-id'] as string | undefined };
      const answer = await sayHelloWithIds(client, String(flags.name), ids);
      if (answer.requestId !== undefined) row('request', `${answer.requestId} (x-request-id, from ${whence(answer)})`);
      if (answer.error) throw answer.error;
      row('SayHello', answer.reply?.message ?? '');
    } finally {
      client.close();
    }
  },
  servers: { logger: loggerMode(startLoggerServer) },
};
