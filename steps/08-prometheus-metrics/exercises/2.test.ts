// Health from zero: the grpc.health.v1.Health series exist at 0 from the first scrape, for every method and code, like the Greeter's, so rate() works on them from the start.
import { checkHealth, createHealthClient } from '@course/07-reflection-health';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Scraped, scrapedServer } from './scraped.js';

let scraped: Scraped;
beforeAll(async () => {
  scraped = await scrapedServer();
});
afterAll(() => scraped.close());

const check = { grpc_type: 'unary', grpc_service: 'grpc.health.v1.Health', grpc_method: 'Check' };
const watch = { grpc_type: 'server_stream', grpc_service: 'grpc.health.v1.Health', grpc_method: 'Watch' };
const shown = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

it.each([
  ['Check started', 'grpc_server_started_total', check],
  ['Check handled OK', 'grpc_server_handled_total', { ...check, grpc_code: 'OK' }],
  ['Check handled NotFound', 'grpc_server_handled_total', { ...check, grpc_code: 'NotFound' }],
  ['Check handling time', 'grpc_server_handling_seconds_count', check],
  ['Watch started', 'grpc_server_started_total', watch],
  ['Watch handled Canceled', 'grpc_server_handled_total', { ...watch, grpc_code: 'Canceled' }],
])('has the series "%s" at 0 before any health call', async (_, name, labels) => {
  expect(await scraped.value(name, labels), shown(name, labels)).toBe(0);
});

it('counts a Check from there: handled OK goes to 1', async () => {
  const probe = createHealthClient(`localhost:${scraped.server.port}`, grpc.credentials.createSsl(scraped.certs.ca));
  try {
    expect(await checkHealth(probe, '')).toBe('SERVING');
  } finally {
    probe.close();
  }
  const labels = { ...check, grpc_code: 'OK' };
  expect(await scraped.value('grpc_server_handled_total', labels), shown('grpc_server_handled_total', labels)).toBe(1);
});
