// Lesson 13 as the step runner drives it: one flaky backend, and calls that
// show what a retryPolicy retries and what it never does, grpc-js's cap on
// attempts, the deadline over all of them, and retry throttling.
import { fileURLToPath } from 'node:url';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { courseCertificates } from '@course/06-tls';
import { loggerMode, serveWithLogger } from '@course/10-two-services/lesson';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { lesson as balancingLesson } from '@course/12-load-balancing/lesson';
import { codeName, type Lesson, parsePositiveInt, row, UsageError } from '@course/kit';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';
import {
  type Attempted,
  type CallOptions,
  createRetryingClient,
  type RetryClientOptions,
  type RetryOptions,
  sayHelloAttempted,
} from './client.js';
import { type RetryServerHandle, startRetryServer } from './server.js';

const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));
/** More than any maxAttempts here: a backend that always fails. */
const ALWAYS = 1_000;

function parseCount(value: string | boolean | undefined, source: string): number {
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new UsageError(`${source} must be a whole number, got '${text}'`);
  return Number(text);
}

const failing = (k: number) => (k === 0 ? 'never fails' : `fails the first ${k} attempts of each call with UNAVAILABLE`);

/** "3 attempts  OK  12 ms": padded before colouring, so the columns line up. */
function describe(attempts: number | string, { code, ms }: Attempted): string {
  const name = grpc.status[code] ?? String(code);
  return `${String(attempts).padStart(2)} ${attempts === 1 ? 'attempt ' : 'attempts'}  ${codeName(code, name.padEnd(17))} ${Math.round(ms)} ms`;
}

async function retryingClient(target: string, retry: RetryOptions, options: Partial<RetryClientOptions> = {}): Promise<GreeterClient> {
  return createRetryingClient(target, retry, { ca: (await courseCertificates()).ca, token: tokenFromEnv(), ...options });
}

/** Once the channel is connected: the times shown are the calls', not the TLS handshake's. */
function connected(client: GreeterClient): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + 5_000, (err) => (err ? reject(err) : resolve())));
}

/** One demo call: the backend made this flaky, a client with this config, attempts as the backend counted them. */
async function scenario(
  server: RetryServerHandle,
  label: string,
  what: string,
  failFirst: number,
  retry: RetryOptions,
  { name = 'Ada', call = {}, client = {} }: { name?: string; call?: CallOptions; client?: Partial<RetryClientOptions> } = {},
): Promise<void> {
  server.attempts.failFirst = failFirst;
  const c = await retryingClient(`localhost:${server.port}`, retry, client);
  try {
    await connected(c);
    const before = server.attempts.total;
    const answer = await sayHelloAttempted(c, name, call);
    row(label, `${what.padEnd(46)} ${describe(server.attempts.total - before, answer)}`);
  } finally {
    c.close();
  }
}

export const lesson: Lesson = {
  ...balancingLesson,
  step: '13',
  title: 'Retries and deadlines',
  summary: 'a retryPolicy against a flaky backend: what is retried, the cap on attempts, the deadline over all of them, throttling.',
  flags: {
    serve: {
      ...Object.fromEntries(Object.entries(balancingLesson.flags?.serve ?? {}).filter(([name]) => name !== 'backends')),
      'fail-first': {
        type: 'string',
        placeholder: 'K',
        description: 'fail the first K attempts of each call with UNAVAILABLE (default 0)',
      },
    },
    client: {
      ...Object.fromEntries(
        Object.entries(balancingLesson.flags?.client ?? {}).filter(([name]) => !['policy', 'retry', 'quiet'].includes(name)),
      ),
      'max-attempts': { type: 'string', placeholder: 'N', description: 'the retryPolicy’s maxAttempts (default 4; grpc-js caps it at 5)' },
      'attempts-limit': { type: 'string', placeholder: 'N', description: 'raise that cap: grpc-node.retry_max_attempts_limit' },
      'deadline-ms': { type: 'string', placeholder: 'MS', description: 'the deadline over all attempts (default 2000)' },
      'work-ms': { type: 'string', placeholder: 'MS', description: 'ask the server to work this long first (x-work-ms)' },
      calls: { type: 'string', placeholder: 'N', description: 'how many calls, one after another (default 1)' },
    },
  },
  async demo() {
    const certs = await courseCertificates();
    const quiet = { certs, logger: createLogger({ level: 'silent' }), metricsAddress: { host: '127.0.0.1', port: 0 }, drainDelayMs: 0 };
    const logger = await startLoggerServer(quiet);
    const server = await startRetryServer({ ...quiet, id: 'b1', port: 0, loggerTarget: `localhost:${logger.port}` });
    row('backend', `${server.address}, retryableStatusCodes [UNAVAILABLE], backoff from 0.01 s`);
    const quick = { initialBackoffS: 0.01, backoffMultiplier: 1 };
    try {
      await scenario(server, 'retried', 'fails 2 times, maxAttempts 4', 2, { ...quick, maxAttempts: 4 });
      await scenario(server, 'no retry', 'fails once, then an empty name', 1, { ...quick, maxAttempts: 4 }, { name: '' });
      await scenario(server, 'capped', 'always fails, maxAttempts 10', ALWAYS, { ...quick, maxAttempts: 10 });
      await scenario(
        server,
        'lifted',
        '… and retry_max_attempts_limit 10',
        ALWAYS,
        { ...quick, maxAttempts: 10 },
        { client: { attemptsLimit: 10 } },
      );
      await scenario(
        server,
        'deadline',
        'always fails, 0.1 s backoffs, 500 ms deadline',
        ALWAYS,
        {
          maxAttempts: 100,
          initialBackoffS: 0.1,
          maxBackoffS: 0.1,
          backoffMultiplier: 1,
        },
        { call: { deadlineMs: 500 }, client: { attemptsLimit: 100 } },
      );
      await scenario(server, 'early', 'asks for 2 s of work, 300 ms deadline', 0, quick, { call: { deadlineMs: 300, workMs: 2_000 } });
      row('', `the server refused it before starting: ${server.attempts.workNotStarted} not started, ${server.attempts.workDone} finished`);

      // A target none of the calls above used: grpc-js keeps the token bucket per target, for the process.
      server.attempts.failFirst = ALWAYS;
      const throttled = await retryingClient(`127.0.0.1:${server.port}`, {
        ...quick,
        maxAttempts: 3,
        throttling: { maxTokens: 10, tokenRatio: 0.1 },
      });
      try {
        await connected(throttled);
        const before = server.attempts.total;
        const perCall: number[] = [];
        for (let i = 0; i < 10; i++) {
          const at = server.attempts.total;
          await sayHelloAttempted(throttled, 'Ada');
          perCall.push(server.attempts.total - at);
        }
        row(
          'throttled',
          `always fails, maxAttempts 3, 10 calls: ${server.attempts.total - before} attempts, not 30 (${perCall.join(' ')})`,
        );
      } finally {
        throttled.close();
      }
    } finally {
      await server.stop();
      await logger.stop();
    }
  },
  serve: (context) =>
    serveWithLogger(STEP_DIR, async (options) => {
      const failFirst = context.flags['fail-first'] === undefined ? 0 : parseCount(context.flags['fail-first'], '--fail-first');
      const server = await startRetryServer({ ...options, id: String(context.flags.id ?? 'b1'), failFirst });
      row('flaky', failing(failFirst));
      return server;
    })(context),
  async client(context) {
    const { target, flags } = context;
    if (flags.entries === true || flags.health === true || flags.list === true) return balancingLesson.client(context);
    const retry: RetryOptions = {
      maxAttempts: flags['max-attempts'] === undefined ? 4 : parsePositiveInt(flags['max-attempts'], '--max-attempts'),
      initialBackoffS: 0.01,
    };
    const attemptsLimit = flags['attempts-limit'] === undefined ? undefined : parsePositiveInt(flags['attempts-limit'], '--attempts-limit');
    const call: CallOptions = {
      ...(flags['deadline-ms'] !== undefined && { deadlineMs: parsePositiveInt(flags['deadline-ms'], '--deadline-ms') }),
      ...(flags['work-ms'] !== undefined && { workMs: parseCount(flags['work-ms'], '--work-ms') }),
    };
    const calls = flags.calls === undefined ? 1 : parsePositiveInt(flags.calls, '--calls');
    const client = await retryingClient(target, retry, attemptsLimit === undefined ? {} : { attemptsLimit });
    let failed: Attempted | undefined;
    try {
      for (let i = 1; i <= calls; i++) {
        const answer = await sayHelloAttempted(client, String(flags.name ?? 'world'), call);
        // The client's own deadline ends a call with no answer to count on.
        row('SayHello', `#${i}  ${describe(answer.attempts ?? '?', answer)}${answer.details ? `  ${answer.details}` : ''}`);
        failed ??= answer.code === grpc.status.OK ? undefined : answer;
      }
    } finally {
      client.close();
    }
    if (failed)
      throw Object.assign(new Error(failed.details), { code: failed.code, details: failed.details, metadata: new grpc.Metadata() });
  },
  // Lesson 12's `backend` mode would be a backend that is not flaky: only the Logger.
  servers: { logger: loggerMode(startLoggerServer) },
};
