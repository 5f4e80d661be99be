// One pino logger per process: JSON lines for machines, a compact single line
// for people (the demo, or a terminal), at the level LOG_LEVEL names.
import { ConfigError } from '@course/kit';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** The levels LOG_LEVEL may name: pino's, from the most to the least verbose, and silent. */
export const LOG_LEVELS: readonly string[] = [...Object.keys(pino.levels.values), 'silent'];

export interface LoggerOptions {
  level?: string;
  /** Human-readable lines instead of JSON (default: when stdout is a terminal). */
  pretty?: boolean;
  /** Where lines go (default stdout); tests pass a stream they read. */
  destination?: NodeJS.WritableStream;
  /** Keep error stacks (default). The demo logs only the message, to stay short. */
  stacks?: boolean;
  /** Fields added to every line (lesson 09: the trace and span ids). */
  mixin?: () => object;
}

export function createLogger({
  level = process.env.LOG_LEVEL || 'info',
  pretty: human = process.stdout.isTTY,
  destination,
  stacks = true,
  mixin,
}: LoggerOptions = {}): Logger {
  // pino's own refusal is a stack trace about "custom levels"; say which levels there are.
  if (!LOG_LEVELS.includes(level)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${level}'`);
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    mixin,
    ...(stacks ? {} : { serializers: { err: (e: Error) => e.message } }),
  };
  // JSON lines are written by pino's worker thread: a log line per call then
  // costs the event loop a copy into a shared buffer, not a write(2) per line
  // (measured with `pnpm bench`: per-line async writes halved throughput).
  if (!human) return pino(options, destination ?? pino.transport({ target: 'pino/file', options: { destination: 1 } }));
  // pino-pretty as an in-process stream (no worker thread): one short line a call.
  const stream = pretty({
    sync: true,
    singleLine: true,
    colorize: process.stdout.isTTY && !process.env.NO_COLOR,
    ignore: 'pid,hostname,time',
    destination: destination ?? process.stdout,
  });
  return pino(options, stream);
}
