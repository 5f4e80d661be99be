// Lesson 18 as the step runner drives it: a noisy caller over its bucket and
// refused with a retry delay it waits out, a quiet caller untouched, then the
// server shedding new calls while its in-flight slots are full.
import { fileURLToPath } from 'node:url';
import { nameFlag, sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { courseCertificates } from '@course/06-tls';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import type { LoggingGreeterOptions } from '@course/10-two-services';
import { withBothServers } from '@course/10-two-services/lesson';
import { logFields, startLoggerServer } from '@course/11-metadata-propagation';
import { InProcessBroker } from '@course/16-async-events';
// The lesson whose modes this one keeps (a Greeter, its Logger and the events; lesson 17's proxy
// is not part of this step), imported here and nowhere else.
import { lesson as previousLesson, serveWithEvents } from '@course/16-async-events/lesson';
import { type Flags, type Lesson, parsePositiveInt, row, type ServeContext } from '@course/kit';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';
import { withRetryInfo } from './client.js';
import { DEFAULT_LIMITS, type LimitedGreeterHandle, type LimitedGreeterOptions, startGreeterServer } from './server.js';
import { retryDelayMs } from './status-details.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** One greeting, through the client that waits out a RetryInfo; a line for each refusal and the outcome. */
async function greet(client: GreeterClient, label: string, name: string): Promise<void> {
  try {
    const reply = await withRetryInfo(() => sayHello(client, name), {
      onWait: (ms) => row(label, `${name}: RESOURCE_EXHAUSTED, RetryInfo says wait ${seconds(ms)}; waiting`),
    });
    row(label, `${name}: OK, "${reply.message}"`);
  } catch (err) {
    const e = err as grpc.ServiceError;
    row(label, `${name}: ${grpc.status[e.code]} ${e.details}`);
  }
}

/** `count` SayHellos at once, no retries: how many ended how, and the longest retry delay asked for. */
async function burst(client: GreeterClient, count: number): Promise<string> {
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => sayHello(client, `n${i}`)));
  const counts = new Map<string, number>();
  let delay = 0;
  for (const r of results) {
    const code = r.status === 'fulfilled' ? 'OK' : grpc.status[(r.reason as grpc.ServiceError).code];
    counts.set(code, (counts.get(code) ?? 0) + 1);
    if (r.status === 'rejected') delay = Math.max(delay, retryDelayMs(r.reason) ?? 0);
  }
  const summary = [...counts].map(([code, n]) => `${n} ${code}`).join(', ');
  return delay > 0 ? `${summary} (retry in ${seconds(delay)})` : summary;
}

/** The flags `serve` takes for the limits (lesson 20's container modes take them too). */
export const limitFlags = {
  rate: { type: 'string', placeholder: 'N', description: `calls per caller and method per window (default ${DEFAULT_LIMITS.points})` },
  window: { type: 'string', placeholder: 'S', description: `the window, in seconds (default ${DEFAULT_LIMITS.perSeconds})` },
  'max-in-flight': {
    type: 'string',
    placeholder: 'N',
    description: `calls in flight before new ones are shed (default ${DEFAULT_LIMITS.maxInFlight})`,
  },
} as const;

/** The limits --rate, --window and --max-in-flight ask for, lesson 18's defaults for the rest. */
export function limitsFromFlags(flags: Flags): { points: number; perSeconds: number; maxInFlight: number } {
  return {
    points: flags.rate === undefined ? DEFAULT_LIMITS.points : parsePositiveInt(flags.rate, '--rate'),
    perSeconds: flags.window === undefined ? DEFAULT_LIMITS.perSeconds : parsePositiveInt(flags.window, '--window'),
    maxInFlight:
      flags['max-in-flight'] === undefined ? DEFAULT_LIMITS.maxInFlight : parsePositiveInt(flags['max-in-flight'], '--max-in-flight'),
  };
}

/** `serve`: the Greeter (lesson 17's canary), its Logger and the events, the Greeter behind the limits the flags ask for. A later lesson passes its own Greeter (20: a probe port). */
export function serveWithLimits(context: ServeContext, startGreeter: typeof startGreeterServer = startGreeterServer) {
  const limits = limitsFromFlags(context.flags);
  row('limits', `${limits.points} calls per caller and method per ${limits.perSeconds}s, ${limits.maxInFlight} in flight`);
  return serveWithEvents(context, (options) => startGreeter({ ...options, limits }));
}

const DEMO_LIMITS = { points: 3, perSeconds: 1, maxInFlight: 3 };

/**
 * The demos of this lesson and the next: a Logger and the limited Greeter in
 * this process on free ports (outbox in memory, the in-process broker), then
 * `body` with the Greeter, and a clean stop whatever it does.
 */
export async function withLimitedGreeter(
  limits: LimitedGreeterOptions['limits'],
  body: (greeter: LimitedGreeterHandle) => Promise<void>,
): Promise<void> {
  let greeter: LimitedGreeterHandle | undefined;
  await withBothServers(
    {
      logger: startLoggerServer,
      greeter: async (options: LoggingGreeterOptions) => {
        greeter = await startGreeterServer({ ...options, outboxPath: ':memory:', broker: new InProcessBroker(), limits });
        return greeter;
      },
    },
    { greeter: { logger: createLogger({ level: 'silent', mixin: logFields }) } },
    () => body(greeter as LimitedGreeterHandle),
  );
}

export const lesson: Lesson = {
  ...previousLesson,
  step: '18',
  title: 'Rate limiting',
  summary:
    'A bucket per caller and method, refused with RESOURCE_EXHAUSTED and a RetryInfo the client waits out; load shedding past N in flight.',
  flags: {
    ...previousLesson.flags,
    demo: {},
    serve: { ...previousLesson.flags?.serve, ...limitFlags },
    client: {
      name: nameFlag,
      user: { type: 'string', placeholder: 'ID', description: 'send x-user-id: ID (each user has buckets of its own)' },
      count: { type: 'string', placeholder: 'N', description: 'greetings sent at once (default 1), each waiting out a RetryInfo' },
    },
  },
  async demo() {
    await withLimitedGreeter(DEMO_LIMITS, async (g) => {
      const certs = await courseCertificates();
      const client = (userId: string) => createGreeterClient(`localhost:${g.port}`, { ca: certs.ca, token: tokenFromEnv(), userId });
      const [noisy, quiet] = [client('noisy'), client('quiet')];
      try {
        row(
          'limits',
          `${DEMO_LIMITS.points} calls per caller and method per ${DEMO_LIMITS.perSeconds}s, ${DEMO_LIMITS.maxInFlight} in flight`,
        );
        row('noisy', `5 at once: ${await burst(noisy, 5)}`);
        row('quiet', `1: ${await burst(quiet, 1)}, its own bucket`);
        await greet(noisy, 'noisy', 'Ada');
        const chats = [quiet.Chat(), quiet.Chat(), quiet.Chat()];
        for (const chat of chats) {
          chat.on('error', () => {});
          chat.write({ from: 'quiet', text: 'hi' });
          await new Promise((resolve) => chat.once('data', resolve));
        }
        row('in flight', `${g.limits.inFlight} chats open`);
        row('quiet', `1 more: ${await burst(quiet, 1)}, shed at once, not queued`);
        for (const chat of chats) chat.end();
        await g.limits.untilInFlight(0);
        row('in flight', `${g.limits.inFlight}, chats ended`);
        row('quiet', `1 more: ${await burst(quiet, 1)}`);
      } finally {
        noisy.close();
        quiet.close();
      }
    });
  },
  serve: (context) => serveWithLimits(context),
  async client({ target, flags }) {
    const certs = await courseCertificates();
    const user = flags.user === undefined ? undefined : String(flags.user);
    const client = createGreeterClient(target, { ca: certs.ca, token: tokenFromEnv(), userId: user });
    const count = flags.count === undefined ? 1 : parsePositiveInt(flags.count, '--count');
    try {
      const name = String(flags.name);
      await Promise.all(Array.from({ length: count }, (_, i) => greet(client, 'SayHello', count > 1 ? `${name}${i + 1}` : name)));
    } finally {
      client.close();
    }
  },
};

export const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));
