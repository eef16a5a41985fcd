/**
 * Debian's Chromium driven by playwright-core, for the identity provider's pages.
 * Only loopback is reachable: anything else (web fonts in the provider's pages) is
 * aborted, so tests neither leak traffic nor wait on it.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env['MAI_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

export interface TestBrowser {
  page(): Promise<Page>;
  close(): Promise<void>;
}

/** Playwright gives every launch a fresh temporary profile (its own --user-data-dir) and removes it on close. */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const contexts: BrowserContext[] = [];
  return {
    async page() {
      const context = await browser.newContext();
      contexts.push(context);
      await context.route('**/*', (route) => {
        const host = new URL(route.request().url()).hostname;
        return host === '127.0.0.1' || host === 'localhost' ? route.continue() : route.abort();
      });
      return context.newPage();
    },
    async close() {
      await browser.close();
    },
  };
}

/** Signs in on oidc-provider's dev login page and approves its consent page, as a user would. */
export async function signInAndConsent(page: Page, user: string): Promise<void> {
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill('any-password');
  await page.locator('button[type="submit"]').click();
  await page.waitForLoadState();
  // The consent page shows up on a first authorization; approve it.
  const consent = page.locator('input[name="prompt"][value="consent"]');
  if ((await consent.count()) > 0) await page.locator('button[type="submit"]').click();
}
