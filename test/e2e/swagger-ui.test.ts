import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@moalog/test-support/workers';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DocsPlatform, startDocsPlatform } from './docs-platform.js';

/**
 * Swagger UI as a person sees it: Debian's chromium, headless, opens both UI pages through the gateway
 * and must render the operations of each API from this platform alone (any request to another host is
 * blocked and fails the test), under the Content-Security-Policy the page is served with: the browser
 * must report no violation of it. Screenshots land in .tmp/swagger-ui-api.png and .tmp/swagger-ui-pay.png.
 */

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`swagger-ui.test.ts skipped: ${CHROMIUM} does not exist (apt-get install chromium)`);

let platform: DocsPlatform;
let browser: Browser;

describe.skipIf(!hasChromium)('Swagger UI in headless chromium', () => {
  beforeAll(async () => {
    platform = await startDocsPlatform();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
  });

  it.each([
    {
      page: '/swagger-ui',
      title: 'Moalog API',
      paths: ['/api/v1/retrospects/{retrospectId}', '/api/v1/retro-rooms', '/health'],
      shot: 'swagger-ui-api.png',
    },
    {
      page: '/pay/swagger-ui.html',
      title: 'FluxPay API',
      paths: ['/api/v1/orders', '/api/v1/orders/{orderId}'],
      shot: 'swagger-ui-pay.png',
    },
  ])(
    '$page shows $title with its operations',
    async ({ page: pagePath, title, paths, shot }) => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
      const page = await context.newPage();
      const foreign: string[] = [];
      const failed: string[] = [];
      await page.route('**/*', async (route) => {
        const url = new URL(route.request().url());
        if (url.origin === platform.url.origin) return route.continue();
        foreign.push(url.href);
        return route.abort();
      });
      page.on('response', (res) => {
        if (res.status() >= 400) failed.push(`${res.status()} ${res.url()}`);
      });
      page.on('pageerror', (err) => failed.push(`page error: ${err.message}`));
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/content security policy/i.test(message.text())) violations.push(message.text());
      });
      await page.exposeFunction('reportCspViolation', (violation: string) => violations.push(violation));
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          (window as unknown as { reportCspViolation(v: string): void }).reportCspViolation(
            `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`,
          );
        });
      });
      try {
        const res = await page.goto(new URL(pagePath, platform.url).href, { waitUntil: 'load' });
        expect(res?.status()).toBe(200);
        const headers = (await res?.allHeaders()) ?? {};
        expect(headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'self' 'sha256-/);
        expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(headers['x-content-type-options']).toBe('nosniff');
        expect(headers['x-frame-options']).toBe('DENY');
        const rendered = await page
          .locator('.opblock')
          .first()
          .waitFor({ state: 'visible', timeout: 15_000 })
          .then(() => true)
          .catch(() => false);
        expect(rendered, `no operations rendered; failed requests: ${failed.join(', ') || 'none'}`).toBe(true);

        await expect.poll(() => page.locator('.info .title').first().textContent()).toContain(title);
        const shownPaths = await page.locator('.opblock-summary-path').allInnerTexts();
        for (const path of paths) expect(shownPaths.map((p) => p.replace(/\u200b/g, '').trim())).toContain(path);

        const dir = join(repoRoot, '.tmp');
        mkdirSync(dir, { recursive: true });
        await page.screenshot({ path: join(dir, shot) });
        // Opening an operation renders its parameters and schemas under the same policy.
        await page.locator('.opblock-summary').first().click();
        await page.locator('.opblock-body').first().waitFor({ state: 'visible', timeout: 10_000 });
        expect(foreign, 'requests to other hosts').toEqual([]);
        expect(failed, 'failed requests').toEqual([]);
        expect(violations, 'Content-Security-Policy violations').toEqual([]);
      } finally {
        await context.close();
      }
    },
    90_000,
  );
});
