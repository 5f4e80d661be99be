// The runner's contract for a step's other servers (Lesson.servers): parsed
// as modes of their own, with --port and --host and their own flags, and
// listed in the usage text. Running them is tested by lesson 10's processes.
import { describe, expect, it } from 'vitest';
import { type Lesson, parseInvocation, UsageError, usage } from '../src/lesson.js';

const serving = { address: 'x', stop: async () => {} };
const lesson: Lesson = {
  step: '99',
  title: 'Test',
  summary: 'A lesson with another server.',
  demo: async () => {},
  serve: async () => serving,
  client: async () => {},
  servers: {
    logger: {
      description: 'runs the other server',
      defaultPort: 50052,
      flags: { mtls: { type: 'boolean', description: 'mutual TLS' } },
      serve: async () => serving,
    },
  },
};

describe('a lesson’s other servers', () => {
  it('are modes, with --port, --host and their own flags', () => {
    expect(parseInvocation(lesson, ['logger', '--port', '0', '--mtls'])).toEqual({
      mode: 'logger',
      values: { port: '0', mtls: true },
      help: false,
    });
    expect(() => parseInvocation(lesson, ['logger', '--target', 'x'])).toThrow(new UsageError('unknown flag --target for logger'));
    expect(() => parseInvocation(lesson, ['loggers'])).toThrow(/modes are demo, serve, client, logger/);
  });

  it('are listed in the usage, with their default port', () => {
    const text = usage(lesson);
    expect(text).toContain('usage: pnpm step 99 [demo|serve|client|logger] [flags]');
    expect(text).toMatch(/ {2}logger {3}runs the other server\n {4}--port <P> +port to listen on \(default 50052; 0 picks a free one\)/);
  });

  it('leave a lesson without them as it was', () => {
    const { servers: _, ...plain } = lesson;
    expect(usage(plain)).toContain('usage: pnpm step 99 [demo|serve|client] [flags]');
    expect(() => parseInvocation(plain, ['logger'])).toThrow(/modes are demo, serve, client\)/);
  });
});
