// The Greeter of the lessons before, answering at once: each greeting's Greeted event is
// committed to the outbox before the answer goes out, and a relay publishes it
// in the background. The broker can be down; the greeting does not wait for it.
import { createLogger } from '@course/04-interceptors';
import { processRegistry } from '@course/08-prometheus-metrics';
import { forwardedHeaders, logFields, REQUEST_ID, USER_ID } from '@course/11-metadata-propagation';
// The previous step's Greeter (lesson 15 watches lesson 14's), imported here and nowhere else.
import { startGreeterServer as startPreviousGreeter } from '@course/15-dashboards';
import type { HelloRequest__Output } from '@course/proto/gen/greeter/v1/HelloRequest';
import * as grpc from '@grpc/grpc-js';
import { type Broker, brokerFromEnv } from './broker.js';
import { type Greeted, greeted } from './events.js';
import { Outbox } from './outbox.js';
import { type Relay, startRelay } from './relay.js';

const SAY_HELLO = '/greeter.v1.Greeter/SayHello';

/**
 * Records a Greeted event for each SayHello that ends OK, with the ids lesson
 * 11 keeps for the call, and holds the status until the event is on disk.
 */
export function greetedEventInterceptor(outbox: Outbox): grpc.ServerInterceptor {
  return (method, call) => {
    if (method.path !== SAY_HELLO) return new grpc.ServerInterceptingCall(call);
    let event: Greeted | undefined;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage(message: HelloRequest__Output, nextMessage) {
            // Placed after lesson 11's interceptor: its headers are in scope here.
            const headers = forwardedHeaders();
            event = greeted(message.name, headers?.[USER_ID], headers?.[REQUEST_ID]);
            nextMessage(message);
          },
        }),
      sendStatus(status, next) {
        if (status.code !== grpc.status.OK || event === undefined) return next(status);
        // Stored or counted as dropped, the greeting is answered either way.
        void outbox.add(event).then(() => next(status));
      },
    });
  };
}

/** What the previous step's Greeter takes and gives. */
type PreviousOptions = Parameters<typeof startPreviousGreeter>[0];
type PreviousHandle = Awaited<ReturnType<typeof startPreviousGreeter>>;

export interface EventsGreeterOptions extends PreviousOptions {
  /** The outbox file; the same path after a crash delivers what was left. */
  outboxPath: string;
  outboxCapacity?: number;
  /** Default: from EVENTS_BROKER / KAFKA_BROKERS (see brokerFromEnv), closed with the server. */
  broker?: Broker;
}

export interface EventsGreeterHandle extends PreviousHandle {
  outbox: Outbox;
  relay: Relay;
  broker: Broker;
}

export async function startGreeterServer(options: EventsGreeterOptions): Promise<EventsGreeterHandle> {
  const logger = options.logger ?? createLogger({ mixin: logFields });
  const broker = options.broker ?? (await brokerFromEnv());
  const registry = options.registry ?? processRegistry();
  const outbox = new Outbox({ path: options.outboxPath, capacity: options.outboxCapacity, logger, registry });
  let handle: PreviousHandle;
  try {
    handle = await startPreviousGreeter({
      ...options,
      logger,
      registry,
      serverOptions: {
        ...options.serverOptions,
        interceptors: [...(options.serverOptions?.interceptors ?? []), greetedEventInterceptor(outbox)],
      },
    });
  } catch (err) {
    outbox.close();
    if (!options.broker) await broker.close();
    throw err;
  }
  const relay = startRelay(outbox, broker, { logger, registry });
  let stopped: Promise<void> | undefined;
  return {
    ...handle,
    outbox,
    relay,
    broker,
    stop() {
      stopped ??= (async () => {
        // Drained first: the last answers still commit their events.
        await handle.stop();
        await relay.stop();
        outbox.close();
        if (!options.broker) await broker.close();
      })();
      return stopped;
    },
  };
}
