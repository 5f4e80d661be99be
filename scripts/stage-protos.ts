// Stages the course's protos, and the files they import from the other include
// directories (google-proto-files' google/api/*), in one directory: buf takes
// one source root, not a list of -I directories.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { PROTO_INCLUDE_DIRS, PROTO_ROOT } from '../proto/index.js';

/** The .proto files below dir, relative to it (not generated code, not other packages' node_modules). */
export function protoFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name !== 'node_modules' && e.name !== 'gen')
    .flatMap((e) =>
      e.isDirectory() ? protoFiles(join(dir, e.name), base) : e.name.endsWith('.proto') ? [relative(base, join(dir, e.name))] : [],
    )
    .sort();
}

/**
 * Copies every .proto under `root` (the course's proto/, or an older copy of
 * it) into `dest`, then each file they import, transitively, from the first
 * include directory that has it. google/protobuf/* is left out: buf and
 * protoc know the well-known types. `extra` are more files to stage from the
 * include directories, with their imports. Returns the course's own files,
 * the ones to lint and compare.
 */
export function stageProtos(dest: string, root = PROTO_ROOT, extra: string[] = []): string[] {
  const own = protoFiles(root);
  const staged = new Set<string>();
  const stage = (file: string, from: string) => {
    if (staged.has(file)) return;
    staged.add(file);
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    cpSync(join(from, file), join(dest, file));
    for (const [, imported = ''] of readFileSync(join(from, file), 'utf8').matchAll(/^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"/gm)) {
      if (imported.startsWith('google/protobuf/') || staged.has(imported)) continue;
      const dir = [root, ...PROTO_INCLUDE_DIRS.filter((d) => d !== PROTO_ROOT)].find((d) => existsSync(join(d, imported)));
      if (!dir) throw new Error(`${file} imports ${imported}, found in none of ${PROTO_INCLUDE_DIRS.join(', ')}`);
      stage(imported, dir);
    }
  };
  for (const file of own) stage(file, root);
  for (const file of extra) {
    const dir = PROTO_INCLUDE_DIRS.find((d) => existsSync(join(d, file)));
    if (!dir) throw new Error(`${file} is in none of ${PROTO_INCLUDE_DIRS.join(', ')}`);
    stage(file, dir);
  }
  cpSync(join(PROTO_ROOT, 'buf.yaml'), join(dest, 'buf.yaml'));
  return own;
}
