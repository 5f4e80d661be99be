// The page the gateway serves, in a real headless Chromium (Debian's, driven
// by playwright-core): a greeting, the stream as it arrives, and the errors a
// browser gets, 400 for an empty name and 429 past the rate limit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Setup, startAll, TOKEN } from './setup.js';

let s: Setup;
let browser: BrowserContext;
let page: Page;
const profile = mkdtempSync(join(tmpdir(), 'lesson-19-chromium-'));

beforeAll(async () => {
  // Three greetings per method: the page's own calls spend them, and the fourth is refused.
  s = await startAll({ limits: { points: 3, perSeconds: 600 } });
  // A fresh, empty profile (--user-data-dir), which playwright passes as the persistent context's directory.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // No sandbox as root; and no background networking, which the closed network here refuses.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
  await page.goto(s.gateway.url);
  await page.fill('#token', TOKEN);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
  rmSync(profile, { recursive: true, force: true });
});

it('greets through the gateway with fetch', async () => {
  await page.fill('#name', 'Ada');
  await page.click('#greet');
  await expect.poll(() => page.textContent('#reply')).toBe('Hello, Ada!');
  expect(await page.textContent('#error')).toBe('');
});

it('shows the stream, one greeting per line as it arrives', async () => {
  await page.fill('#name', 'Bob');
  await page.fill('#count', '20');
  await page.click('#stream');
  // 20 greetings 100 ms apart: the first is on the page while most are still to come.
  await expect.poll(() => page.locator('#greetings li').count()).toBeGreaterThanOrEqual(1);
  expect(await page.locator('#greetings li').count(), 'greetings shown when the first arrived').toBeLessThan(20);
  expect(await page.textContent('#reply')).toBe('');
  await expect.poll(() => page.textContent('#reply'), { timeout: 10_000 }).toBe('20 greetings');
  expect(await page.locator('#greetings li').allTextContents()).toEqual(Array(20).fill('Hello, Bob!'));
});

it('shows the 400 for an empty name, with the server’s message', async () => {
  await page.fill('#name', ' ');
  await page.click('#greet');
  await expect.poll(() => page.textContent('#error')).toBe('400 INVALID_ARGUMENT: name is required');
  expect(await page.textContent('#reply')).toBe('');
});

it('shows the 429 once the caller is past its bucket', async () => {
  // Ada, the empty name and this one are three SayHellos; the next is refused.
  await page.fill('#name', 'Cy');
  await page.click('#greet');
  await expect.poll(() => page.textContent('#reply')).toBe('Hello, Cy!');
  await page.click('#greet');
  await expect.poll(() => page.textContent('#error')).toBe('429 RESOURCE_EXHAUSTED: rate limit: 3 calls per 600s');
});

it('shows the 401 without a token', async () => {
  await page.fill('#token', '');
  await page.click('#stream');
  await expect.poll(() => page.textContent('#error')).toMatch(/^401 UNAUTHENTICATED: /);
});
