// Server-Sent Events: a stream route asked with `Accept: text/event-stream` answers as SSE (`data:` lines), NDJSON stays the default.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NDJSON } from '../src/index.js';
import { type Setup, startAll } from '../test/setup.js';

let s: Setup;
beforeAll(async () => {
  s = await startAll();
});
afterAll(() => s.close());

/** The `data:` payloads of an SSE body, parsed, with the event name of each. */
function events(text: string) {
  return text
    .split('\n\n')
    .filter((e) => e.trim())
    .map((e) => {
      const fields = Object.fromEntries(e.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
      return { event: fields.event ?? 'message', data: JSON.parse(fields.data ?? 'null') };
    });
}

it('answers text/event-stream with one `data:` event per greeting', async () => {
  const res = await s.get('/v1/greet/Ada/stream?count=2', { headers: { accept: 'text/event-stream' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(events(await res.text())).toEqual([
    { event: 'message', data: { message: 'Hello, Ada!', sequence: 1 } },
    { event: 'message', data: { message: 'Hello, Ada!', sequence: 2 } },
  ]);
});

it('keeps newline-delimited JSON for any other Accept', async () => {
  const res = await s.get('/v1/greet/Ada/stream?count=1', { headers: { accept: '*/*' } });
  expect(res.headers.get('content-type')).toBe(NDJSON);
});
