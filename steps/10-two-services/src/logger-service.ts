// The Logger: a second service on lesson 09's bootstrap (TLS, its own token,
// health, reflection, metrics, traces), keeping each entry with what it saw
// of the call that brought it: the caller's address and the time left.
import { statusError } from '@course/01-unary';
import { tokenFromEnv } from '@course/05-metadata-auth';
import type { MetricsServerHandle, MetricsServerOptions } from '@course/08-prometheus-metrics';
import { startGreeterServer as startTracedServer } from '@course/09-tracing';
import type { LoggerServiceHandlers } from '@course/proto/gen/logger/v1/LoggerService';
import type { StoredEntry__Output } from '@course/proto/gen/logger/v1/StoredEntry';
import * as grpc from '@grpc/grpc-js';
import { LOGGER } from './proto.js';

/** The Logger's development token: its own, so a leaked Greeter token opens nothing here. */
export const DEV_LOGGER_TOKEN = 'dev-logger-token';

/** The token the Logger accepts and the Greeter sends it: LOGGER_TOKEN, refused as the default in production. */
export function loggerTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return tokenFromEnv(env, { variable: 'LOGGER_TOKEN', devToken: DEV_LOGGER_TOKEN });
}

export const MAX_TEXT_LENGTH = 1_024;
export const MAX_LIST_LIMIT = 1_000;

export type KeptEntry = Omit<StoredEntry__Output, 'sequence'>;

/** The newest entries, in memory: a bounded list, so a chatty caller cannot exhaust it. */
export class LogBook {
  private readonly kept: StoredEntry__Output[] = [];
  private sequence = 0;

  constructor(private readonly capacity = MAX_LIST_LIMIT) {}

  add(entry: KeptEntry): number {
    this.kept.push({ ...entry, sequence: ++this.sequence });
    if (this.kept.length > this.capacity) this.kept.shift();
    return this.sequence;
  }

  /** The newest `limit` entries, oldest first. */
  newest(limit = MAX_LIST_LIMIT): StoredEntry__Output[] {
    return this.kept.slice(-limit);
  }
}

/** Milliseconds until a deadline, Infinity when there is none. */
export function msLeft(deadline: grpc.Deadline, now = Date.now()): number {
  return (deadline instanceof Date ? deadline.getTime() : deadline) - now;
}

/** What happened to a Log call, for the demo's narration and the tests. */
export type LoggerEvent = { type: 'received' | 'kept' | 'cancelled'; entry: KeptEntry };

export interface LoggerServerOptions extends MetricsServerOptions {
  book?: LogBook;
  /** How long Log takes before it answers: a slow Logger, to watch the Greeter cope (default 0). */
  latencyMs?: number;
  /** Fields to keep with each entry, read while its call is handled (lesson 11: the ids that came with it). */
  annotate?(): Partial<KeptEntry>;
  onEvent?(event: LoggerEvent): void;
}

export interface LoggerServerHandle extends MetricsServerHandle {
  book: LogBook;
  setLatency(ms: number): void;
}

function logHandler(book: LogBook, options: LoggerServerOptions, behaviour: { latencyMs: number }): LoggerServiceHandlers['Log'] {
  return (call, callback) => {
    const { method, text } = call.request;
    if (!method.startsWith('/')) return callback(statusError(grpc.status.INVALID_ARGUMENT, 'method must be a method path'));
    if (text.length > MAX_TEXT_LENGTH)
      return callback(statusError(grpc.status.INVALID_ARGUMENT, `text must be at most ${MAX_TEXT_LENGTH} characters`));
    const left = msLeft(call.getDeadline());
    const entry: KeptEntry = {
      entry: call.request,
      peer: call.getPeer(),
      deadlineMs: Number.isFinite(left) ? Math.max(0, Math.round(left)) : 0,
      userId: '',
      requestId: '',
      ...options.annotate?.(),
    };
    options.onEvent?.({ type: 'received', entry });
    let answered = false;
    const keep = () => {
      answered = true;
      callback(null, { sequence: book.add(entry) });
      options.onEvent?.({ type: 'kept', entry });
    };
    if (behaviour.latencyMs <= 0) return keep();
    const timer = setTimeout(keep, behaviour.latencyMs);
    // grpc-js also says 'cancelled' once a call has ended normally: only an unanswered call is really cancelled.
    call.once('cancelled', () => {
      if (answered) return;
      clearTimeout(timer);
      options.onEvent?.({ type: 'cancelled', entry });
    });
  };
}

export async function startLoggerServer(options: LoggerServerOptions = {}): Promise<LoggerServerHandle> {
  const book = options.book ?? new LogBook();
  const behaviour = { latencyMs: options.latencyMs ?? 0 };
  const handlers: LoggerServiceHandlers = {
    Log: logHandler(book, options, behaviour),
    ListEntries: (call, callback) => callback(null, { entries: book.newest(Math.min(call.request.limit || 20, MAX_LIST_LIMIT)) }),
  };
  const handle = await startTracedServer({
    ...options,
    // Read before anything starts, as AUTH_TOKEN is: a production Logger with the dev token must not come up.
    token: options.token ?? loggerTokenFromEnv(),
    service: { ...LOGGER, handlers: handlers as unknown as grpc.UntypedServiceImplementation },
  });
  return {
    ...handle,
    book,
    setLatency(ms) {
      behaviour.latencyMs = ms;
    },
  };
}
