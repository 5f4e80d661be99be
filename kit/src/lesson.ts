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

/**
 * Another server of the step, run as a mode of its own, the way `serve` runs
 * the main one (lesson 10: `pnpm step 10 logger`). `serve` may start it as a
 * child process (see startMode), so that it can be stopped and started alone.
 */
export interface ServerMode {
  /** One line for the usage text. */
  description: string;
  /** Where it listens without --port. */
  defaultPort: number;
  /** Flags beyond --port and --host. */
  flags?: Record<string, Flag>;
  serve(context: ServeContext): Promise<Serving>;
}

/** Another client-side mode of the step, taking --target as `client` does (lesson 15: `pnpm step 15 load`). */
export interface Command {
  /** One line for the usage text. */
  description: string;
  /** Flags beyond --target. */
  flags?: Record<string, Flag>;
  run(context: ClientContext): Promise<void>;
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
  /** The step's other servers, by mode name (lesson 10: `logger`). */
  servers?: Record<string, ServerMode>;
  /** The step's other client-side modes, by name (lesson 15: `load`). */
  commands?: Record<string, Command>;
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

/** A setting (an environment variable) that cannot be used: one line, exit code 2, no usage (it is not a flag). */
export class ConfigError extends Error {
  readonly code = 'ECONFIG';
}

function flagsOf(lesson: Lesson, mode: string): Record<string, Flag> {
  const other = lesson.servers?.[mode];
  if (other) {
    const { port, host } = STANDARD_FLAGS.serve as Record<'port' | 'host', Flag>;
    return { port: { ...port, description: `port to listen on (default ${other.defaultPort}; 0 picks a free one)` }, host, ...other.flags };
  }
  const command = lesson.commands?.[mode];
  const flags = command
    ? { ...STANDARD_FLAGS.client, ...command.flags }
    : { ...STANDARD_FLAGS[mode as Mode], ...lesson.flags?.[mode as Mode] };
  if ((mode === 'client' || command) && flags.target) {
    flags.target = { ...flags.target, description: `server to call (default ${lesson.defaultTarget ?? DEFAULT_TARGET})` };
  }
  return flags;
}

/** Every mode a lesson takes: the standard three, its other servers, its other commands. */
function modesOf(lesson: Lesson): string[] {
  return ['demo', 'serve', 'client', ...Object.keys(lesson.servers ?? {}), ...Object.keys(lesson.commands ?? {})];
}

export function usage(lesson: Lesson): string {
  const modes = modesOf(lesson);
  const lines = [`usage: pnpm step ${lesson.step} [${modes.join('|')}] [flags]`, ''];
  for (const mode of modes) {
    lines.push(
      `  ${mode.padEnd(8)} ${MODE_TEXT[mode as Mode] ?? lesson.servers?.[mode]?.description ?? lesson.commands?.[mode]?.description}`,
    );
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
  if (!/^\d+$/.test(text) || Number(text) === 0) throw new UsageError(`${source} must be a positive whole number, got '${text}'`);
  return Number(text);
}

/**
 * parseArgs reads `--count -1` as a flag with no value followed by a flag `-1`;
 * joining them (`--count=-1`) lets the flag's own check say what is wrong with -1.
 */
function joinNegativeValues(args: string[], declared: Record<string, Flag>): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    if (arg.startsWith('--') && declared[arg.slice(2)]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  return joined;
}

/** A port number from a flag or the environment (0 picks a free one). */
export function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new UsageError(`${source} must be a port number from 0 to 65535, got '${text}'`);
  return port;
}

/** Parses `[mode] [flags]` for a lesson; throws UsageError on anything unknown. */
export function parseInvocation(lesson: Lesson, argv: string[]): { mode: string; values: Flags; help: boolean } {
  const [first = ''] = argv;
  const named =
    first === 'serve' ||
    first === 'client' ||
    first === 'demo' ||
    Object.hasOwn(lesson.servers ?? {}, first) ||
    Object.hasOwn(lesson.commands ?? {}, first);
  const mode = named ? first : 'demo';
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
    const { values, positionals } = parseArgs({ args: joinNegativeValues(rest, declared), options, strict: true, allowPositionals: true });
    if (positionals.length > 0) {
      const modes = modesOf(lesson).join(', ');
      throw new UsageError(`unexpected argument '${positionals[0]}' (modes are ${modes})`);
    }
    // grpc-js throws "Could not parse target name" (with a stack) for an empty target.
    if (typeof values.target === 'string' && values.target.trim() === '')
      throw new UsageError(`--target needs an address such as localhost:${DEFAULT_PORT}, got '${values.target}'`);
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
  /** The first stop signal, or 'parent gone' for a server another step's process started. */
  first: Promise<string>;
  /** Stops listening, so that a signal after the stop gets Node's default. */
  remove(): void;
}

/**
 * The first SIGINT or SIGTERM starts a graceful stop. A second one means
 * "now": the process exits at once with 128 + the signal's number, as a
 * shell reports a process killed by it, without waiting for the stop.
 */
function listenForStop(startedByParent: boolean): StopSignals {
  // Where the step runner could not hand its process over to the lesson (see
  // scripts/step.ts), it passes each signal on, and the lesson may also get
  // the same one from the terminal or from pnpm: a repeat within a second of
  // the first is then that same signal, not a second request.
  const repeatWindowMs = process.env.COURSE_RUNNER_FORWARDS_SIGNALS ? 1_000 : 0;
  let firstAt: number | undefined;
  let resolveFirst!: (reason: string) => void;
  const first = new Promise<string>((resolve) => {
    resolveFirst = resolve;
    // Started by another step's process (startMode): when that process is
    // gone, however it went, this one stops too instead of running on alone,
    // also when it went while this one was still starting.
    if (startedByParent && !process.connected) resolve('parent gone');
    else if (startedByParent) process.once('disconnect', () => resolve('parent gone'));
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

/** Runs a server until a stop signal: `listening` when ready (and, to a parent, over IPC), then a graceful stop. */
async function runServer(label: string, start: () => Promise<Serving>): Promise<void> {
  const startedByParent = process.channel !== undefined;
  // The IPC channel must not keep this process alive once the server has stopped.
  process.channel?.unref();
  const handle = await start();
  // Listen for the stop signal before announcing readiness: a supervisor
  // may send it the moment it reads the line.
  const signals = listenForStop(startedByParent);
  row(label, `listening on ${handle.address}`);
  if (process.connected) process.send?.({ listening: handle.address });
  const signal = await signals.first;
  row(label, `${signal}: stopping`);
  await handle.stop();
  signals.remove();
  row(label, 'stopped');
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
    } else if (mode === 'client' || lesson.commands?.[mode]) {
      const target = (values.target as string | undefined) ?? lesson.defaultTarget ?? DEFAULT_TARGET;
      const command = lesson.commands?.[mode];
      await (command ? command.run({ target, flags: values }) : lesson.client({ target, flags: values }));
    } else if (mode === 'serve') {
      const port =
        values.port !== undefined
          ? parsePort(values.port as string, '--port')
          : process.env.PORT
            ? parsePort(process.env.PORT, 'PORT')
            : DEFAULT_PORT;
      await runServer('server', () => lesson.serve({ host: (values.host as string | undefined) ?? DEFAULT_HOST, port, flags: values }));
    } else {
      // Another of the step's servers: it reads --port only (PORT is the main server's).
      const other = lesson.servers?.[mode] as ServerMode;
      const port = values.port !== undefined ? parsePort(values.port as string, '--port') : other.defaultPort;
      await runServer(mode, () => other.serve({ host: (values.host as string | undefined) ?? DEFAULT_HOST, port, flags: values }));
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${pcErr.red('error:')} ${err.message}\n\n${usage(lesson)}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${pcErr.red('error:')} ${err.message}\n`);
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
