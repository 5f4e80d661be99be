// Builds lesson 21's descriptor set, the one protovalidate reads its rules from:
// steps/21-validation/proto (the rules) compiled by protoc against the
// descriptor of buf/validate/validate.proto that @bufbuild/protovalidate ships,
// so no copy of that .proto is ever in the repository. `--check` builds it
// again and fails if the committed file differs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { file_buf_validate_validate as validate } from '@bufbuild/protovalidate/gen/buf/validate/validate_pb.js';
import { writeOrCheck } from './generated.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const lesson = join(root, 'steps/21-validation');
const output = join(lesson, 'rules.binpb');
const sources = ['greeter/v1/greeter_rules.proto'];
const check = process.argv.includes('--check');

// validate.proto and what it imports, as protoc's --descriptor_set_in takes them.
const imports = create(FileDescriptorSetSchema, {
  file: [...validate.dependencies, validate].map((file) => ({
    ...file.proto,
    // Some releases embed the descriptor without its dependency list; protoc needs it.
    dependency: file.proto.dependency.length > 0 ? file.proto.dependency : file.dependencies.map((d) => `${d.name}.proto`),
  })),
});

const staged = mkdtempSync(join(tmpdir(), 'proto-rules-'));
try {
  const importsFile = join(staged, 'validate.binpb');
  writeFileSync(importsFile, toBinary(FileDescriptorSetSchema, imports));
  const built = join(staged, 'rules.binpb');
  // Without --include_imports: the set holds the lesson's file only; the server adds validate.proto from the package.
  execFileSync('protoc', [`-I${join(lesson, 'proto')}`, `--descriptor_set_in=${importsFile}`, `-o${built}`, ...sources], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  writeOrCheck(root, output, readFileSync(built), check);
} finally {
  rmSync(staged, { recursive: true, force: true });
}
