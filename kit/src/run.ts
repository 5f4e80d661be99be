// The process the step runner starts for a lesson: `node --import tsx run.ts <step dir> [mode] [flags]`.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Lesson, runLesson } from './lesson.js';

const [dir = '.', ...argv] = process.argv.slice(2);
const { lesson } = (await import(pathToFileURL(join(resolve(dir), 'src/lesson.ts')).href)) as { lesson: Lesson };
process.exitCode = await runLesson(lesson, argv);
// A lesson closes what it opened, so the process ends on its own; if something
// was left open, say so instead of hanging.
setTimeout(() => {
  process.stderr.write('warning: the lesson left a handle open; exiting anyway\n');
  process.exit(process.exitCode);
}, 2_000).unref();
