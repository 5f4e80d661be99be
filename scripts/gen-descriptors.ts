// Builds the descriptor set lesson 07's reflection serves, with `buf build`:
// every .proto under proto/, the files they import from other packages
// (google/api/*, so the http options survive), plus grpc-health-check's
// health.proto under its canonical name, grpc/health/v1/health.proto, and the
// google.rpc error model (status, error_details: the details lesson 18 sends,
// which lesson 19's gateway renders as JSON). `--check` builds it again and
// fails if the committed file differs.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './generated.js';
import { stageProtos } from './stage-protos.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const lesson = join(root, 'steps/07-reflection-health');
const output = join(lesson, 'api.binpb');
const check = process.argv.includes('--check');

// The health.proto lesson 07 serves Health with, from the package it comes in.
const { protoPath: healthProto } = createRequire(join(lesson, 'package.json'))('grpc-health-check') as { protoPath: string };

const staged = mkdtempSync(join(tmpdir(), 'proto-descriptors-'));
try {
  const sources = join(staged, 'src');
  stageProtos(sources, undefined, ['google/rpc/status.proto', 'google/rpc/error_details.proto']);
  mkdirSync(join(sources, 'grpc/health/v1'), { recursive: true });
  cpSync(healthProto, join(sources, 'grpc/health/v1/health.proto'));
  // Source info keeps the proto comments, which reflection tools show (`grpcurl describe`).
  const built = join(staged, 'api.binpb');
  execFileSync(join(root, 'node_modules/.bin/buf'), ['build', sources, '-o', built], { stdio: ['ignore', 'ignore', 'inherit'] });
  writeOrCheck(root, output, readFileSync(built), check);
} finally {
  rmSync(staged, { recursive: true, force: true });
}
