// `buf lint` and `buf breaking` on the course's protos, staged with what they
// import from other packages (scripts/stage-protos.ts); only the course's own
// files are linted and compared. `breaking` compares against main's proto/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stageProtos } from './stage-protos.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const buf = join(root, 'node_modules/.bin/buf');
const [command, against = 'main'] = process.argv.slice(2);
if (command !== 'lint' && command !== 'breaking') {
  console.error('usage: node --import tsx scripts/buf.ts lint | breaking [GIT-REF (default main)]');
  process.exit(2);
}

const staged = mkdtempSync(join(tmpdir(), 'proto-buf-'));
try {
  const current = join(staged, 'current');
  const own = stageProtos(current);
  const paths = own.flatMap((file) => ['--path', join(current, file)]);
  let status = 0;
  try {
    if (command === 'lint') execFileSync(buf, ['lint', current, ...paths], { stdio: 'inherit' });
    else {
      // The other side, proto/ as `against` has it, staged the same way.
      const old = join(staged, 'against');
      mkdirSync(join(staged, 'git'));
      execFileSync('sh', ['-c', `git -C "${root}" archive "${against}" proto | tar -x -C "${join(staged, 'git')}"`]);
      stageProtos(old, join(staged, 'git/proto'));
      execFileSync(buf, ['breaking', current, '--against', old], { stdio: 'inherit' });
      console.log(`buf breaking: proto/ is compatible with ${against}'s`);
    }
  } catch (err) {
    status = (err as { status?: number }).status ?? 1;
  }
  process.exitCode = status;
} finally {
  rmSync(staged, { recursive: true, force: true });
}
