// Lesson output for people: aligned rows, colour only on a terminal, one line
// per error and no stack trace.

import * as grpc from '@grpc/grpc-js';
import { createColors } from 'picocolors';
import { isServiceError, tidyDetails } from './errors.js';

// Decided here rather than by picocolors, which also colours whenever CI is
// set: colour is for a person at a terminal, and FORCE_COLOR asks for it.
const colourFor = (stream: NodeJS.WriteStream) =>
  'FORCE_COLOR' in process.env || (Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb');

/** Colours for stdout; `pcErr` for stderr. */
export const pc = createColors(colourFor(process.stdout));
export const pcErr = createColors(colourFor(process.stderr));

const LABEL_WIDTH = 10;
const INPUT_WIDTH = 12;

/** One output row: a dim label in a fixed-width column, then the text. */
export function row(label: string, text: string): void {
  process.stdout.write(`  ${pc.dim(label.padEnd(LABEL_WIDTH))} ${text}\n`);
}

/** The lesson banner: "step 01 · Unary RPC". */
export function heading(step: string, title: string): void {
  process.stdout.write(`${pc.bold(`step ${step}`)} ${pc.dim('·')} ${title}\n`);
}

/** A status code name, green when OK and red otherwise. */
export function codeName(code: grpc.status | 'OK', name: string): string {
  return code === 0 || code === 'OK' ? pc.green(name) : pc.red(name);
}

/** How a call ended, for a row: "OK" or "INVALID_ARGUMENT: name is required". */
export function outcome(err: unknown): string {
  if (isServiceError(err)) return `${codeName(err.code, grpc.status[err.code])}: ${tidyDetails(err.details)}`;
  return pc.red(err instanceof Error ? err.message : String(err));
}

/** Runs a call and prints a row: label, what was sent, how it ended (`describe`d, by default as a string), time taken. */
export async function show<T>(
  label: string,
  input: string,
  call: () => Promise<T>,
  describe: (value: T) => string = String,
): Promise<T | undefined> {
  const started = performance.now();
  const sent = input.padEnd(INPUT_WIDTH);
  try {
    const value = await call();
    row(label, `${sent} → ${codeName('OK', 'OK')}  ${describe(value)}  ${pc.dim(ms(started))}`);
    return value;
  } catch (err) {
    if (!isServiceError(err)) throw err;
    row(label, `${sent} → ${outcome(err)}  ${pc.dim(ms(started))}`);
    return undefined;
  }
}

function ms(started: number): string {
  return `(${Math.round(performance.now() - started)} ms)`;
}
