// Generates TypeScript types for every .proto under proto/ into proto/gen;
// `--check` regenerates into a temporary folder and fails if proto/gen is stale.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTO_INCLUDE_DIRS } from '../proto/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const protoDir = join(root, 'proto');
const genDir = join(protoDir, 'gen');
const check = process.argv.includes('--check');

/** Every file below dir (not in node_modules), as paths relative to dir, sorted. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name !== 'node_modules')
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name))]))
    .sort();
}

const protos = walk(protoDir).filter((f) => f.endsWith('.proto'));
const out = mkdtempSync(join(tmpdir(), 'proto-gen-'));
try {
  // These flags mirror the loader options in steps/01-unary/src/proto.ts: the
  // types describe exactly the objects proto-loader hands to handlers.
  execFileSync(
    join(root, 'node_modules/.bin/proto-loader-gen-types'),
    [
      '--grpcLib=@grpc/grpc-js',
      '--importFileExtension=.js',
      '--longs=String',
      '--enums=String',
      '--defaults',
      '--oneofs',
      `--outDir=${out}`,
      ...protos,
      // Relative, so the "Original file" comments are the same on every machine.
      ...PROTO_INCLUDE_DIRS.map((dir) => `--includeDirs=${relative(protoDir, dir) || '.'}`),
    ],
    { cwd: protoDir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (check) {
    const fresh = walk(out);
    const committed = walk(genDir);
    const stale = [...new Set([...fresh, ...committed])].filter(
      (f) => !fresh.includes(f) || !committed.includes(f) || readFileSync(join(out, f), 'utf8') !== readFileSync(join(genDir, f), 'utf8'),
    );
    if (stale.length > 0) {
      console.error(`proto/gen is stale (${stale.join(', ')}): run pnpm gen and commit the result`);
      process.exit(1);
    }
    console.log(`proto/gen is up to date (${fresh.length} files from ${protos.length} protos)`);
  } else {
    rmSync(genDir, { recursive: true, force: true });
    cpSync(out, genDir, { recursive: true });
    console.log(`wrote proto/gen: ${walk(genDir).length} files from ${protos.length} protos`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
