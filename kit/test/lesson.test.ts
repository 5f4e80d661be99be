// How runLesson reads flags: a bad value is one line saying what the flag takes.
import { describe, expect, it } from 'vitest';
import { type Lesson, parseInvocation, parsePositiveInt, UsageError } from '../src/lesson.js';

const lesson: Lesson = {
  step: '99',
  title: 'Flags',
  summary: 'A lesson that only has flags.',
  flags: { client: { count: { type: 'string', description: 'how many' }, loud: { type: 'boolean', description: 'louder' } } },
  demo: async () => {},
  serve: async () => ({ address: '', stop: async () => {} }),
  client: async () => {},
};

/** The UsageError message parsing these arguments throws. */
function refusal(argv: string[]): string {
  try {
    parseInvocation(lesson, argv);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  return expect.fail(`accepted ${JSON.stringify(argv)}`);
}

describe('flag values', () => {
  it.each([
    [['client', '--count', '-1'], "--count must be a positive whole number, got '-1'"],
    [['client', '--count=-1'], "--count must be a positive whole number, got '-1'"],
    [['client', '--count', '0'], "--count must be a positive whole number, got '0'"],
    [['client', '--count', 'many'], "--count must be a positive whole number, got 'many'"],
  ])('%j: %s', (argv, message) => {
    const { values } = parseInvocation(lesson, argv);
    expect(() => parsePositiveInt(values.count, '--count')).toThrow(new UsageError(message));
  });

  it('still refuses a flag it does not know, even when it looks like a number', () => {
    expect(refusal(['client', '--loud', '-1'])).toBe('unknown flag -1 for client');
  });

  it.each([[['client', '--target', '']], [['client', '--target=  ']]])('refuses an empty --target: %j', (argv) => {
    expect(refusal(argv)).toMatch(/^--target needs an address such as localhost:50051, got '\s*'$/);
  });
});
