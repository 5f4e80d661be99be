// The step contract: one `Lesson` per step, and runLesson() turning
// `demo | serve | client` plus flags into a call of it. Plumbing, not gRPC.
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { describeStatus, isServiceError } from './errors.js';
import { heading, pcErr, row } from './out.js';

/** What `serve` hands back: where it listens and how to stop it (lesson 01's ServerHandle is one). */
export interface Serving {
  address: string;
  stop(): Promise<void>;
}

export type Mode = 'demo' | 'serve' | 'client';

/** A flag a lesson's mode takes beyond the standard ones. */
export interface Flag {
  type: 'string' | 'boolean';
  description: string;
  /** Shown in help as `--name <placeholder>`. */
  placeholder?: string;
  default?: string | boolean;
}

export type Flags = Record<string, string | boolean | undefined>;

export interface ServeContext {
  host: string;
  port: number;
  flags: Flags;
}

export interface ClientContext {
  target: string;
  flags: Flags;
}

export interface Lesson {
  /** "01" */
  step: string;
  title: string;
  /** One sentence: what the demo shows. */
  summary: string;
  flags?: Partial<Record<Mode, Record<string, Flag>>>;
  /** Where `client` connects without --target (default 127.0.0.1:50051; TLS lessons use localhost, the name on the certificate). */
  defaultTarget?: string;
  /** Runs servers and clients end to end, prints what happened, stops everything. */
  demo(flags: Flags): Promise<void>;
  /** Starts the server(s); the runner prints `listening` and stops them on a signal. */
  serve(context: ServeContext): Promise<Serving>;
  /** Talks to a server that is already running. */
  client(context: ClientContext): Promise<void>;
}

/** Ports and hosts the standard flags default to. */
export const DEFAULT_PORT = 50051;
export const DEFAULT_HOST = '127.0.0.1';
/** Where `client` mode connects unless the lesson or --target says otherwise. */
export const DEFAULT_TARGET = `${DEFAULT_HOST}:${DEFAULT_PORT}`;

const STANDARD_FLAGS: Record<Mode, Record<string, Flag>> = {
  demo: {},
  serve: {
    port: { type: 'string', placeholder: 'P', description: `port to listen on (default ${DEFAULT_PORT}, env PORT; 0 picks a free one)` },
    host: { type: 'string', placeholder: 'H', description: `address to bind (default ${DEFAULT_HOST})` },
  },
  client: {
    target: { type: 'string', placeholder: 'host:port', description: 'server to call' },
  },
};

const MODE_TEXT: Record<Mode, string> = {
  demo: 'runs the lesson end to end: servers on free ports, the client, then a clean stop (default)',
  serve: 'runs the server in the foreground until Ctrl-C or SIGTERM',
  client: 'calls a server that is already running',
};

/** An error in how the step was invoked: one line and the usage, exit code 2. */
export class UsageError extends Error {}

function flagsOf(lesson: Lesson, mode: Mode): Record<string, Flag> {
  const flags = { ...STANDARD_FLAGS[mode], ...lesson.flags?.[mode] };
  if (mode === 'client' && flags.target) {
    flags.target = { ...flags.target, description: `server to call (default ${lesson.defaultTarget ?? DEFAULT_TARGET})` };
  }
  return flags;
}

export function usage(lesson: Lesson): string {
  const lines = [`usage: pnpm step ${lesson.step} [demo|serve|client] [flags]`, ''];
  for (const mode of ['demo', 'serve', 'client'] as const) {
    lines.push(`  ${mode.padEnd(8)} ${MODE_TEXT[mode]}`);
    for (const [name, flag] of Object.entries(flagsOf(lesson, mode))) {
      const spelled = `--${name}${flag.type === 'string' ? ` <${flag.placeholder ?? 'value'}>` : ''}`;
      lines.push(`    ${spelled.padEnd(22)} ${flag.description}`);
    }
  }
  lines.push(`    ${'--help'.padEnd(22)} this text`);
  return lines.join('\n');
}

/** A flag value that must be a whole number above zero. */
export function parsePositiveInt(value: string | boolean | undefined, source: string): number {
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) === 0) throw new UsageError(`${source} must be a whole number above 0, got '${text}'`);
  return Number(text);
}

function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new UsageError(`${source} must be a port number from 0 to 65535, got '${text}'`);
  return port;
}

/** Parses `[mode] [flags]` for a lesson; throws UsageError on anything unknown. */
export function parseInvocation(lesson: Lesson, argv: string[]): { mode: Mode; values: Flags; help: boolean } {
  const [first] = argv;
  const mode: Mode = first === 'serve' || first === 'client' || first === 'demo' ? first : 'demo';
  const rest = first === mode ? argv.slice(1) : argv;
  if (rest.includes('--help') || rest.includes('-h')) return { mode, values: {}, help: true };
  const declared = flagsOf(lesson, mode);
  const options = Object.fromEntries(
    Object.entries(declared).map(([name, flag]) => [
      name,
      { type: flag.type, ...(flag.default === undefined ? {} : { default: flag.default }) },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({ args: rest, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (modes are demo, serve, client)`);
    return { mode, values: values as Flags, help: false };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // parseArgs' messages run to several sentences; name the flag and the mode instead.
    const code = (err as { code?: string }).code;
    const flag = /'(-{1,2}[^']+)'/.exec((err as Error).message)?.[1] ?? rest.join(' ');
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown flag ${flag} for ${mode}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`flag ${flag} needs a value`);
    throw new UsageError((err as Error).message);
  }
}

/** What the serve loop listens for: the first stop signal, and then a second one. */
interface StopSignals {
  first: Promise<NodeJS.Signals>;
  /** Stops listening, so that a signal after the stop gets Node's default. */
  remove(): void;
}

/**
 * The first SIGINT or SIGTERM starts a graceful stop. A second one means
 * "now": the process exits at once with 128 + the signal's number, as a
 * shell reports a process killed by it, without waiting for the stop.
 */
function listenForStop(): StopSignals {
  // Where the step runner could not hand its process over to the lesson (see
  // scripts/step.ts), it passes each signal on, and the lesson may also get
  // the same one from the terminal or from pnpm: a repeat within a second of
  // the first is then that same signal, not a second request.
  const repeatWindowMs = process.env.COURSE_RUNNER_FORWARDS_SIGNALS ? 1_000 : 0;
  let firstAt: number | undefined;
  let resolveFirst!: (signal: NodeJS.Signals) => void;
  const first = new Promise<NodeJS.Signals>((resolve) => {
    resolveFirst = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt === undefined) {
      firstAt = performance.now();
      return resolveFirst(signal);
    }
    if (performance.now() - firstAt < repeatWindowMs) return;
    row('server', `${signal} again: exiting without waiting for the stop`);
    process.exit(128 + (constants.signals[signal] ?? 0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    first,
    remove() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Runs one lesson from command-line arguments; returns the process exit code. */
export async function runLesson(lesson: Lesson, argv: string[]): Promise<number> {
  let invocation: ReturnType<typeof parseInvocation>;
  try {
    invocation = parseInvocation(lesson, argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${pcErr.red('error:')} ${err.message}\n\n${usage(lesson)}\n`);
    return 2;
  }
  const { mode, values, help } = invocation;
  if (help) {
    process.stdout.write(`step ${lesson.step} · ${lesson.title}: ${lesson.summary}\n\n${usage(lesson)}\n`);
    return 0;
  }
  try {
    if (mode === 'demo') {
      heading(lesson.step, lesson.title);
      await lesson.demo(values);
    } else if (mode === 'client') {
      await lesson.client({ target: (values.target as string | undefined) ?? lesson.defaultTarget ?? DEFAULT_TARGET, flags: values });
    } else {
      const port =
        values.port !== undefined
          ? parsePort(values.port as string, '--port')
          : process.env.PORT
            ? parsePort(process.env.PORT, 'PORT')
            : DEFAULT_PORT;
      const handle = await lesson.serve({ host: (values.host as string | undefined) ?? DEFAULT_HOST, port, flags: values });
      // Listen for the stop signal before announcing readiness: a supervisor
      // may send it the moment it reads the line.
      const signals = listenForStop();
      row('server', `listening on ${handle.address}`);
      const signal = await signals.first;
      row('server', `${signal}: stopping`);
      await handle.stop();
      signals.remove();
      row('server', 'stopped');
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${pcErr.red('error:')} ${err.message}\n\n${usage(lesson)}\n`);
      return 2;
    }
    // Expected failures (a status from the server, a port in use) get one line;
    // anything else is a bug and keeps its stack.
    const message = isServiceError(err) ? describeStatus(err) : err instanceof Error ? err.message : String(err);
    const expected = err instanceof Error && ('code' in err || 'errno' in err);
    process.stderr.write(`${pcErr.red('error:')} ${expected ? message : ((err as Error).stack ?? message)}\n`);
    return 1;
  }
}
