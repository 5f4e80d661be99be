// vitest's global setup: before any test runs, the programs the tests drive are there (installed
// when that can be done, COURSE_NO_INSTALL=1 to never install), or the run stops with one line.
import { ensureTools, MissingToolsError } from './prereqs.js';

export default function setup(): void {
  try {
    ensureTools({ install: process.env.COURSE_NO_INSTALL !== '1' });
  } catch (err) {
    if (!(err instanceof MissingToolsError)) throw err;
    // One line and a failed run, at once: not a stack trace, and not a test timing out later.
    process.stderr.write(`\nerror: ${err.message}\n`);
    process.exit(1);
  }
}
