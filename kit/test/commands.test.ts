// The runner's contract for a step's other client-side modes (Lesson.commands):
// parsed as modes with --target and their own flags, listed in the usage text,
// and run with the lesson's default target. Lesson 15's `load` runs one for real.
import { describe, expect, it } from 'vitest';
import { type ClientContext, type Lesson, parseInvocation, runLesson, UsageError, usage } from '../src/lesson.js';

const ran: ClientContext[] = [];
const lesson: Lesson = {
  step: '99',
  title: 'Test',
  summary: 'A lesson with another command.',
  defaultTarget: 'localhost:50051',
  demo: async () => {},
  serve: async () => ({ address: 'x', stop: async () => {} }),
  client: async () => {},
  commands: {
    load: {
      description: 'drives load at a running server',
      flags: { rate: { type: 'string', placeholder: 'R', description: 'calls per second' } },
      run: async (context) => {
        ran.push(context);
      },
    },
  },
};

describe('a lesson’s other commands', () => {
  it('are modes, with --target and their own flags, and nothing of serve', () => {
    expect(parseInvocation(lesson, ['load', '--rate', '5', '--target', 'h:1'])).toEqual({
      mode: 'load',
      values: { rate: '5', target: 'h:1' },
      help: false,
    });
    expect(() => parseInvocation(lesson, ['load', '--port', '1'])).toThrow(new UsageError('unknown flag --port for load'));
    expect(() => parseInvocation(lesson, ['loads'])).toThrow(/modes are demo, serve, client, load\)/);
  });

  it('are listed in the usage text with their flags', () => {
    const text = usage(lesson);
    expect(text).toContain('[demo|serve|client|load]');
    expect(text).toMatch(/\n {2}load +drives load at a running server\n/);
    expect(text).toMatch(/--target <host:port> +server to call \(default localhost:50051\)\n {4}--rate <R> +calls per second/);
  });

  it('run with the default target unless --target says otherwise', async () => {
    ran.length = 0;
    expect(await runLesson(lesson, ['load', '--rate', '5'])).toBe(0);
    expect(await runLesson(lesson, ['load', '--target', 'h:2'])).toBe(0);
    expect(ran).toEqual([
      { target: 'localhost:50051', flags: { rate: '5' } },
      { target: 'h:2', flags: { target: 'h:2' } },
    ]);
  });
});
