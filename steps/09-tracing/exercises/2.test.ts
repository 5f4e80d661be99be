// A span of your own: the SayHello handler makes the greeting in an active span named `compose greeting`, which the demo then shows as a child of the SERVER span.
import { exitLine } from '@course/kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Traced, tracedLesson } from './traced.js';

interface SpanRow {
  /** "INTERNAL compose greeting" */
  span: string;
  trace: string;
  parent: string;
}

let traced: Traced;
let demo: { code: number | null; stdout: string; stderr: string };
let spans: SpanRow[];
beforeAll(async () => {
  traced = await tracedLesson();
  demo = await traced.start([]).exited;
  // The demo's rows: `span  KIND name  STATUS  ms  trace 1234abcd…  child of the SERVER span`.
  spans = [...demo.stdout.matchAll(/^\s*span\s+(\S+)\s+(.+?)\s+(?:UNSET|OK|ERROR)\s.*?trace (\w+)\S*\s+(.*)$/gm)].map((m) => ({
    span: `${m[1]} ${m[2]}`,
    trace: m[3] ?? '',
    parent: (m[4] ?? '').trim(),
  }));
});
afterAll(() => traced.close());

const composed = () => spans.find((s) => s.span === 'INTERNAL compose greeting');

it('the demo still runs: exit 0', () => {
  expect(exitLine(demo)).toBe('exit 0');
});

it('shows an INTERNAL span named `compose greeting`', () => {
  expect(spans.map((s) => s.span)).toContain('INTERNAL compose greeting');
});

it('makes it a child of the SERVER span, in the same trace', () => {
  expect(composed()?.parent).toBe('child of the SERVER span');
  const servers = spans.filter((s) => s.span.startsWith('SERVER ')).map((s) => s.trace);
  expect(servers).toContain(composed()?.trace);
});
