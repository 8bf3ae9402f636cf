import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resilient } from '../../src/index.js';
import { statusHandler } from '../../src/status/index.js';
import { resetError } from '../resilience/helpers.js';
import { launchChromium, requireChromium } from '../support/chromium.js';
import { serveStatus } from './serve.js';

// Real headless Chromium (Debian's) on the page of a running service: the
// page must follow a breaker open and closed live, under a strict CSP.

const available = requireChromium();
const STRICT_CSP = "default-src 'self'";
const BREAK_MS = 1_500;

describe.skipIf(!available)('the status page in a real browser', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let service: Awaited<ReturnType<typeof serveStatus>>;
  const bank = resilient('browser-bank', {
    retry: false,
    breaker: { mode: 'consecutive', consecutiveFailures: 5, breakDurationMs: BREAK_MS },
  });
  const call = (fail: boolean) =>
    bank.execute(() => (fail ? Promise.reject(resetError()) : 'ok'), { key: 'https://bank.test' });

  beforeAll(async () => {
    await call(false);
    service = await serveStatus(statusHandler(), (_req, res) => {
      // The application's own policy, as helmet sets it: the page must live with it.
      res.setHeader('Content-Security-Policy', STRICT_CSP);
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('shows a breaker open within 3 s of failing calls and closed after recovery, without a reload, under a strict CSP with no console error', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    let navigations = 0;
    page.on('framenavigated', () => navigations++);

    const response = await page.goto(service.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe(STRICT_CSP);
    const state = page.locator('[data-pipeline="browser-bank"] [data-key="https://bank.test"]');
    await state.waitFor({ timeout: 10_000 });
    expect(await state.getAttribute('data-state')).toBe('closed');
    await expect
      .poll(() => page.locator('#bulwark-stream').getAttribute('data-stream'))
      .toBe('live');

    const failedAt = performance.now();
    for (let i = 0; i < 5; i++) await call(true).catch(() => undefined);
    expect(bank.circuitState('https://bank.test')).toBe('open');
    await page.waitForSelector(
      '[data-pipeline="browser-bank"] [data-key="https://bank.test"][data-state="open"]',
      { timeout: 3_000 },
    );
    const shownOpenMs = performance.now() - failedAt;
    mkdirSync('.tmp', { recursive: true });
    await page.screenshot({ path: '.tmp/status-page-open.png', fullPage: true });
    expect(await state.locator('td').nth(2).textContent()).toContain('half-open in');

    // Recovery: after the break the next call probes, succeeds, and closes the breaker.
    await new Promise((resolve) => setTimeout(resolve, BREAK_MS + 100));
    await call(false);
    expect(bank.circuitState('https://bank.test')).toBe('closed');
    const recoveredAt = performance.now();
    await page.waitForSelector(
      '[data-pipeline="browser-bank"] [data-key="https://bank.test"][data-state="closed"]',
      { timeout: 3_000 },
    );
    const shownClosedMs = performance.now() - recoveredAt;
    console.log(
      `page showed open after ${shownOpenMs.toFixed(0)} ms, closed after ${shownClosedMs.toFixed(0)} ms`,
    );

    expect(navigations).toBe(1); // live updates, no reload
    expect(problems).toEqual([]);
    await page.screenshot({ path: '.tmp/status-page-closed.png', fullPage: true });
    await page.close();
  }, 30_000);

  it('says when the data stream is lost', async () => {
    const handler = statusHandler({ updateIntervalMs: 250 });
    const own = await serveStatus(handler);
    const page = await browser.context.newPage();
    await page.goto(own.url);
    await expect
      .poll(() => page.locator('#bulwark-stream').getAttribute('data-stream'))
      .toBe('live');
    await own.close();
    await expect
      .poll(() => page.locator('#bulwark-stream').getAttribute('data-stream'), { timeout: 5_000 })
      .toMatch(/lost|stale/);
    expect(await page.locator('#bulwark-stream').textContent()).toMatch(/lost/);
    await page.close();
  }, 30_000);
});
