/**
 * Browser tests of the demo: each file starts the real demo (`startDemo`, the code behind
 * `npm run demo`) on the shared test Redis under its own namespace, and drives Debian's
 * Chromium with playwright-core. Screenshots and the demo's output go to test-artifacts/e2e/.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { inject, onTestFailed } from 'vitest';
import { formatOutputLine, startDemo, type DemoHandle } from '../../demo/startDemo.js';

export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/e2e/', import.meta.url));
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** How long to wait for a DOM condition: a slow, shared 2-core machine runs these. */
export const WAIT_MS = 60_000;

/** The selector of an element by its `data-testid`. */
export const byTestId = (id: string) => `[data-testid="${id}"]`;

export interface E2eContext {
  demo: DemoHandle;
  browser: Browser;
  page: Page;
  /** Saves a full-page screenshot as test-artifacts/e2e/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Stops the browser and the demo, and writes the demo's output next to the screenshots. */
  close(): Promise<void>;
}

/** Starts a demo of its own (fresh namespace: its own queue and keys) and a browser page on it. */
export async function startE2e(name: string): Promise<E2eContext> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const output: string[] = [];
  const demo = await startDemo({
    port: 0,
    redisUrl: inject('redisUrl'),
    namespace: `e2e-${name}-${randomUUID().slice(0, 8)}`,
    output: (label, line) => output.push(formatOutputLine(label, line)),
  });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => output.push(`[page] uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') output.push(`[page] console error: ${message.text()}`);
    });
    const openBrowser = browser;
    return {
      demo,
      browser: openBrowser,
      page,
      screenshot: async (shot) => {
        const path = join(ARTIFACTS_DIR, `${shot}.png`);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
      close: async () => {
        await openBrowser.close().catch(() => undefined);
        await demo.stop();
        writeFileSync(join(ARTIFACTS_DIR, `${name}.log`), `${output.join('\n')}\n`);
      },
    };
  } catch (error) {
    await browser?.close().catch(() => undefined);
    await demo.stop();
    throw error;
  }
}

/** Opens the page and waits until the app shows the signed-in user's first document. */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator(byTestId('summarize')).waitFor();
  await page.locator(`${byTestId('connection')}:has-text("live")`).waitFor();
}

/** Opens the jobcast debug panel (if closed) on one of its tabs. */
export async function openPanelTab(page: Page, tab: 'Connection' | 'Subscriptions' | 'Missed broadcasts' | 'Event log' | 'Jobs' | 'Why no update?'): Promise<void> {
  const toggle = page.locator('[data-jobcast-debug] button[aria-expanded="false"]');
  if (await toggle.count()) await toggle.click();
  await page.getByRole('tab', { name: tab, exact: true }).click();
}

/** Call inside a test: when it fails, the page as it was is saved as test-artifacts/e2e/<name>-failure.png. */
export function screenshotOnFailure(e2e: E2eContext, name: string): void {
  onTestFailed(async () => {
    await e2e.screenshot(`${name}-failure`).catch(() => undefined);
  });
}
