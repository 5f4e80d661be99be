// What the generators share: a file built afresh is written (`pnpm gen`) or compared with the committed one (`--check`).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

/** Writes `fresh` to `output`, or with `check` fails (exit 1) unless the committed file is the same, byte for byte. */
export function writeOrCheck(root: string, output: string, fresh: Buffer, check: boolean): void {
  const where = relative(root, output);
  if (check) {
    if (!existsSync(output) || !fresh.equals(readFileSync(output))) {
      console.error(`${where} is stale: run pnpm gen and commit the result`);
      process.exit(1);
    }
    console.log(`${where} is up to date`);
  } else {
    writeFileSync(output, fresh);
    console.log(`wrote ${where}: ${fresh.length} bytes`);
  }
}
