// Lesson 21 as the step runner drives it: requests that pass their buf.validate
// rules and requests that break them, each refusal's BadRequest decoded and
// listed one field violation a row, on SayHello, StreamGreetings and Chat.
import { fileURLToPath } from 'node:url';
import { nameFlag } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { courseCertificates } from '@course/06-tls';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import type { LoggingGreeterOptions } from '@course/10-two-services';
import { withBothServers } from '@course/10-two-services/lesson';
import { logFields, startLoggerServer } from '@course/11-metadata-propagation';
import { InProcessBroker } from '@course/16-async-events';
// The lesson whose modes this one keeps: lesson 18's serve, client and Logger, around this step's
// Greeter (lesson 20's modes are the container's, which run lesson 20's Greeter), imported here and nowhere else.
import { lesson as previousLesson, serveWithLimits } from '@course/18-rate-limiting/lesson';
import { type Lesson, parsePositiveInt, row } from '@course/kit';
import type { ChatMessage } from '@course/proto/gen/greeter/v1/ChatMessage';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import type { HelloRequest } from '@course/proto/gen/greeter/v1/HelloRequest';
import * as grpc from '@grpc/grpc-js';
import { fieldViolations } from './client.js';
import { startGreeterServer } from './server.js';

const CALL_MS = 5_000;

/** A value as the demo shows it: quoted, long ones shortened to their length. */
const shown = (value: string) =>
  value.length > 20 ? `${JSON.stringify(value.slice(0, 4)).slice(0, -1)}…" (${value.length})` : JSON.stringify(value);

/** The outcome of a refused call: its code and the count, then one row per field violation. */
function refusal(label: string, sent: string, err: unknown): void {
  const error = err as grpc.ServiceError;
  const violations = fieldViolations(error);
  const count = violations.length === 1 ? '1 field violation' : `${violations.length} field violations`;
  row(label, `${sent}: ${grpc.status[error.code]}, ${violations.length > 0 ? count : error.details}`);
  for (const v of violations) row(`  ${v.field}`, `${v.description} (${v.reason})`);
}

function sayHello(client: GreeterClient, request: HelloRequest): Promise<void> {
  const sent = shown(request.name ?? '');
  return new Promise((resolve) =>
    client.SayHello(request, { deadline: Date.now() + CALL_MS }, (err, reply) => {
      if (err) refusal('SayHello', sent, err);
      else row('SayHello', `${sent}: OK, "${reply?.message}"`);
      resolve();
    }),
  );
}

function streamGreetings(client: GreeterClient, request: HelloRequest): Promise<void> {
  const sent = `${shown(request.name ?? '')} × ${request.count}`;
  return new Promise((resolve) => {
    const call = client.StreamGreetings(request, { deadline: Date.now() + CALL_MS });
    let received = 0;
    call.on('data', () => received++);
    // 'status' comes once, last, however the call ends ('end' follows an 'error' too).
    call.on('status', (status) => {
      if (status.code === grpc.status.OK) row('Stream', `${sent}: OK, ${received} greetings`);
      resolve();
    });
    call.on('error', (err) => refusal('Stream', sent, err));
  });
}

/** One member sends each message in turn, waiting for its own to come back; a refused one ends its call. */
function chat(client: GreeterClient, messages: ChatMessage[]): Promise<void> {
  return new Promise((resolve) => {
    const call = client.Chat({ deadline: Date.now() + CALL_MS });
    const pending = [...messages];
    let sent = '';
    const next = () => {
      const message = pending.shift();
      if (!message) return call.end();
      sent = `${shown(message.from ?? '')}: ${shown(message.text ?? '')}`;
      call.write(message);
    };
    call.on('data', () => {
      row('Chat', `${sent}: relayed to the room`);
      next();
    });
    call.on('error', (err) => refusal('Chat', sent, err));
    call.on('status', () => resolve());
    next();
  });
}

export const lesson: Lesson = {
  ...previousLesson,
  step: '21',
  title: 'Validation',
  summary: 'buf.validate rules on the requests, checked by protovalidate in an interceptor; violations as a google.rpc.BadRequest.',
  flags: {
    ...previousLesson.flags,
    demo: {},
    client: {
      name: nameFlag,
      count: { type: 'string', placeholder: 'N', description: 'call StreamGreetings for N greetings instead of SayHello' },
    },
  },
  async demo() {
    await withBothServers(
      {
        logger: startLoggerServer,
        greeter: (options: LoggingGreeterOptions) =>
          startGreeterServer({ ...options, outboxPath: ':memory:', broker: new InProcessBroker() }),
      },
      { greeter: { logger: createLogger({ level: 'silent', mixin: logFields }) } },
      async ({ client }) => {
        await sayHello(client, { name: 'Ada' });
        await sayHello(client, { name: '' });
        await sayHello(client, { name: ' Ada' });
        await sayHello(client, { name: ` ${'x'.repeat(100)}` });
        await streamGreetings(client, { name: 'Ada', count: 2 });
        await streamGreetings(client, { name: '', count: 20_000 });
        await chat(client, [
          { from: 'ana', text: 'hello' },
          { from: 'ana b', text: ' ' },
        ]);
      },
    );
  },
  serve: (context) => serveWithLimits(context, startGreeterServer),
  async client({ target, flags }) {
    const certs = await courseCertificates();
    const client = createGreeterClient(target, { ca: certs.ca, token: tokenFromEnv() });
    try {
      const name = String(flags.name);
      if (flags.count === undefined) await sayHello(client, { name });
      // 0 is the server's default, so it is allowed here too: the rules decide what is too many.
      else await streamGreetings(client, { name, count: flags.count === '0' ? 0 : parsePositiveInt(flags.count, '--count') });
    } finally {
      client.close();
    }
  },
};

export const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));
