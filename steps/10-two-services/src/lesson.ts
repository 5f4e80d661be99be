// Lesson 10 as the step runner drives it: a Greeter that logs every greeting
// to a Logger, one connection for all of them, the caller's deadline shared
// with the Logger, and greetings that survive a slow Logger and a stopped one.
import { fileURLToPath } from 'node:url';
import { deadlineIn, sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { courseCertificates } from '@course/06-tls';
import { createGreeterClient, metricsAddressFromEnv } from '@course/08-prometheus-metrics';
import { serveWith } from '@course/08-prometheus-metrics/lesson';
import { traceFields } from '@course/09-tracing';
import { lesson as tracingLesson } from '@course/09-tracing/lesson';
import { type ClientContext, freePort, type Lesson, parsePort, row, type ServerMode, show, startMode } from '@course/kit';
import { DEFAULT_CERTS_DIR, loadClientCertificates } from '@course/kit/certs';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import type { StoredEntry__Output } from '@course/proto/gen/logger/v1/StoredEntry';
import type * as grpc from '@grpc/grpc-js';
import { createLoggerClient, listEntries } from './logger-client.js';
import { type LoggerServerHandle, type LoggerServerOptions, loggerTokenFromEnv, startLoggerServer } from './logger-service.js';
import { type LoggingGreeterHandle, type LoggingGreeterOptions, startGreeterServer } from './server.js';

const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Where `pnpm step NN logger` listens when run alone; `serve` picks a free port unless told. */
export const DEFAULT_LOGGER_PORT = 50052;

/** One stored entry as a row: what was logged, and what the Logger saw of the call. */
export function describeEntry(e: StoredEntry__Output): string {
  const left = e.deadlineMs > 0 ? `${e.deadlineMs} ms left` : 'no deadline';
  return `#${e.sequence}  ${e.entry?.method}  "${e.entry?.text}"  from ${e.peer}, ${left}`;
}

/** `client --entries`: what the Logger at --target keeps, a row an entry. */
export async function showEntries({ target, flags }: ClientContext, describe: (entry: StoredEntry__Output) => string): Promise<void> {
  // Read, never made: a CA made here would not be the one the running Logger's certificate comes from.
  const certs = loadClientCertificates(DEFAULT_CERTS_DIR, { mtls: flags.mtls === true });
  const client = createLoggerClient(target, { ...certs, token: loggerTokenFromEnv() });
  try {
    const entries = await listEntries(client);
    if (entries.length === 0) row('entries', 'none yet');
    for (const entry of entries) row('entry', describe(entry));
  } finally {
    client.close();
  }
}

/**
 * The Logger's environment when `serve` starts it: its own metrics port
 * (LOGGER_METRICS_PORT, default the Greeter's plus one, or 0 when that is 0)
 * and its own service name in traces.
 */
export function loggerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { port } = metricsAddressFromEnv(env);
  return { METRICS_PORT: env.LOGGER_METRICS_PORT || String(port === 0 ? 0 : port + 1), OTEL_SERVICE_NAME: 'logger' };
}

/**
 * `serve` for this lesson and the next: the Greeter on --port, the Logger as
 * a process of its own (the step's `logger` mode) on --logger-port. A stop
 * drains the Greeter first, whose last calls may still log, then the Logger.
 */
export function serveWithLogger(stepDir: string, start: typeof startGreeterServer): Lesson['serve'] {
  return async (context) => {
    const { host, flags } = context;
    const loggerPort = flags['logger-port'] === undefined ? await freePort(host) : parsePort(String(flags['logger-port']), '--logger-port');
    // The Greeter binds first: its channel connects on first use, so both are
    // up before either says `listening`.
    let loggerClient: grpc.Client | undefined;
    const greeter = await serveWith(async (options) => {
      const handle = await start({ ...options, loggerTarget: `localhost:${loggerPort}` });
      loggerClient = handle.loggerClient;
      return handle;
    })(context);
    try {
      const args = ['--port', String(loggerPort), '--host', host, ...(flags.mtls === true ? ['--mtls'] : [])];
      const logger = await startMode(stepDir, 'logger', args, { env: loggerEnv() });
      // Connected before `listening`, so the first greeting's Log call does not
      // spend its share of the deadline on the handshake. If it cannot connect,
      // the greetings will say so, one warning each.
      await new Promise<void>((resolve) => loggerClient?.waitForReady(Date.now() + 5_000, () => resolve()) ?? resolve());
      return {
        address: greeter.address,
        async stop() {
          await greeter.stop();
          const code = await logger.stop();
          if (code !== 0) throw Object.assign(new Error(`the logger process ended with ${code}`), { code: 'ECHILD' });
        },
      };
    } catch (err) {
      await greeter.stop();
      throw err;
    }
  };
}

/** The step's `logger` mode: the Logger alone, as `serve` starts it. */
export function loggerMode(start: typeof startLoggerServer): ServerMode {
  return {
    description: 'runs the Logger alone in the foreground (serve starts one of its own)',
    defaultPort: DEFAULT_LOGGER_PORT,
    flags: { mtls: { type: 'boolean', description: 'mutual TLS: callers must present a certificate from our CA' } },
    async serve({ host, port, flags }) {
      // Its metrics default to 9465, beside a Greeter's 9464.
      const server = await start({
        host,
        port,
        mtls: flags.mtls === true,
        metricsAddress: metricsAddressFromEnv({ METRICS_PORT: '9465', ...process.env }),
      });
      row('logger', `metrics on ${server.metricsUrl}, token from LOGGER_TOKEN`);
      return server;
    },
  };
}

export interface BothServers {
  loggerServer: LoggerServerHandle;
  greeter: LoggingGreeterHandle;
  /** A client of the Greeter, with the course CA and AUTH_TOKEN. */
  client: GreeterClient;
}

/**
 * The demos of this lesson and the next: a Logger and a Greeter in this
 * process on free ports, started with the given functions and options, a
 * client, the body, and a clean stop whatever the body does.
 */
export async function withBothServers(
  start: { logger: typeof startLoggerServer; greeter: typeof startGreeterServer },
  options: { logger?: LoggerServerOptions; greeter?: Partial<LoggingGreeterOptions>; client?: grpc.ClientOptions },
  body: (servers: BothServers) => Promise<void>,
): Promise<void> {
  const certs = await courseCertificates();
  const token = tokenFromEnv();
  const metricsAddress = { host: '127.0.0.1', port: 0 };
  // The Logger's own log stays quiet: the lines shown are the Greeter's.
  const loggerServer = await start.logger({ certs, logger: createLogger({ level: 'silent' }), metricsAddress, ...options.logger });
  row('logger', `listening on ${loggerServer.address}`);
  const greeter = await start.greeter({ certs, token, metricsAddress, loggerTarget: `localhost:${loggerServer.port}`, ...options.greeter });
  row('greeter', `listening on ${greeter.address}, one channel to the Logger`);
  const client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token, channelOptions: options.client });
  try {
    await body({ loggerServer, greeter, client });
  } finally {
    client.close();
    await greeter.stop();
    await loggerServer.stop();
  }
  row('greeter', 'stopped');
}

export const lesson: Lesson = {
  ...tracingLesson,
  step: '10',
  title: 'Two services',
  summary: 'The Greeter logs each greeting to a Logger service: one reused channel, part of the caller deadline, no failure passed on.',
  flags: {
    serve: {
      ...tracingLesson.flags?.serve,
      'logger-port': { type: 'string', placeholder: 'P', description: 'port for the Logger (default: a free one)' },
    },
    client: {
      ...tracingLesson.flags?.client,
      entries: { type: 'boolean', description: 'list what the Logger at --target keeps instead (token: LOGGER_TOKEN)' },
    },
  },
  demo: () =>
    withBothServers(
      { logger: startLoggerServer, greeter: startGreeterServer },
      // Only warnings: the Greeter's lines about greetings it could not log.
      { greeter: { logger: createLogger({ pretty: true, level: 'warn', mixin: traceFields }) } },
      async ({ loggerServer, client }) => {
        const names = Array.from({ length: 20 }, (_, i) => `guest ${i + 1}`);
        await Promise.all(names.map((name) => sayHello(client, name)));
        const kept = loggerServer.book.newest();
        const peers = [...new Set(kept.map((e) => e.peer))];
        row('greetings', `${names.length} at once → OK; the Logger kept ${kept.length} entries`);
        row('', `from ${peers.length} connection${peers.length === 1 ? '' : 's'} (the Greeter's end: ${peers.join(', ')})`);

        await sayHello(client, 'Ada', { deadline: deadlineIn(200) });
        row('deadline', `the caller gave 200 ms; the Logger's handler had ${loggerServer.book.newest(1)[0]?.deadlineMs} ms left`);

        // Two kinds of trouble, and a greeting through each.
        const troubles: [string, () => Promise<void>, string, number][] = [
          ['now takes 1 s to answer', async () => loggerServer.setLatency(1_000), 'Bob', 400],
          ['stopped', () => loggerServer.stop(), 'Cy', 2_000],
        ];
        for (const [trouble, cause, name, ms] of troubles) {
          await cause();
          row('logger', trouble);
          await show(
            'SayHello',
            `"${name}", ${ms} ms`,
            () => sayHello(client, name, { deadline: deadlineIn(ms) }),
            (r) => r.message,
          );
        }
      },
    ),
  serve: serveWithLogger(STEP_DIR, startGreeterServer),
  async client(context) {
    return context.flags.entries === true ? showEntries(context, describeEntry) : tracingLesson.client(context);
  },
  servers: { logger: loggerMode(startLoggerServer) },
};
