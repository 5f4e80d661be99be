// Builds the descriptor set lesson 07's reflection serves, with `buf build`:
// every .proto under proto/ plus grpc-health-check's health.proto under its
// canonical name, grpc/health/v1/health.proto. `--check` builds it again and
// fails if the committed file differs.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './generated.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const protoDir = join(root, 'proto');
const lesson = join(root, 'steps/07-reflection-health');
const output = join(lesson, 'api.binpb');
const check = process.argv.includes('--check');

/** The .proto files below dir, relative to it (not generated code, not other packages' node_modules). */
function protos(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name !== 'node_modules' && e.name !== 'gen')
    .flatMap((e) =>
      e.isDirectory() ? protos(join(dir, e.name), base) : e.name.endsWith('.proto') ? [relative(base, join(dir, e.name))] : [],
    );
}

// The health.proto lesson 07 serves Health with, from the package it comes in.
const { protoPath: healthProto } = createRequire(join(lesson, 'package.json'))('grpc-health-check') as { protoPath: string };

const staged = mkdtempSync(join(tmpdir(), 'proto-descriptors-'));
try {
  const sources = join(staged, 'src');
  for (const file of protos(protoDir)) {
    mkdirSync(dirname(join(sources, file)), { recursive: true });
    cpSync(join(protoDir, file), join(sources, file));
  }
  mkdirSync(join(sources, 'grpc/health/v1'), { recursive: true });
  cpSync(healthProto, join(sources, 'grpc/health/v1/health.proto'));
  // Source info keeps the proto comments, which reflection tools show (`grpcurl describe`).
  const built = join(staged, 'api.binpb');
  execFileSync(join(root, 'node_modules/.bin/buf'), ['build', sources, '-o', built], { stdio: ['ignore', 'ignore', 'inherit'] });
  writeOrCheck(root, output, readFileSync(built), check);
} finally {
  rmSync(staged, { recursive: true, force: true });
}
