import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byTestId, openApp, screenshotOnFailure, startE2e, type E2eContext } from './support.js';

describe('demo page: failure controls', () => {
  let e2e: E2eContext;
  beforeAll(async () => {
    e2e = await startE2e('failures');
  }, 180_000);
  afterAll(async () => {
    await e2e?.close();
  }, 60_000);

  it('shows a retry with its countdown, then a job waiting for a worker, then a job run by a stale worker', async () => {
    const { page, demo } = e2e;
    screenshotOnFailure(e2e, 'failures');
    await openApp(page, demo.url);

    // A step that fails once: the retry is announced with its countdown, then skips the steps that succeeded.
    await page.locator(byTestId('fault-step')).selectOption('summarize');
    await page.locator(byTestId('fault-once')).click();
    await page.locator(byTestId('fault-summarize')).waitFor();
    await page.locator(byTestId('summarize')).click();
    await page.locator(byTestId('retry')).waitFor();
    const retry = await page.locator(byTestId('retry')).innerText();
    expect(retry).toMatch(/Retrying (in \d s|now) \(attempt 2 of 4\)/);
    expect(retry).toContain('Attempt 1 failed at step summarize');
    expect(retry).toContain('INJECTED_FAULT');
    await e2e.screenshot('failures-1-retrying');
    await page.locator(byTestId('summary')).waitFor();
    await expect(page.locator(byTestId('step-fetch')).innerText()).resolves.toContain('skipped');
    await expect(page.locator(byTestId('step-summarize')).innerText()).resolves.toContain('attempt 2');
    await page.locator(byTestId('fault-summarize')).waitFor({ state: 'detached' });

    // No worker: the job waits, and says why.
    await page.locator(byTestId('worker-stop')).click();
    await page.locator(`${byTestId('worker-state')}:has-text("No worker running")`).waitFor();
    await page.locator(byTestId('doc-3')).click();
    await page.locator(byTestId('summarize')).click();
    await page.locator(byTestId('warning-NO_WORKER')).waitFor();
    await expect(page.locator(`${byTestId('job')} .badge`).innerText()).resolves.toMatch(/queued/i);
    await e2e.screenshot('failures-2-no-worker');

    // An old worker picks it up: the job completes, flagged as run by stale code.
    await page.locator(byTestId('worker-start-old')).click();
    await page.locator(byTestId('warning-STALE_WORKER')).waitFor();
    await page.locator(byTestId('summary')).waitFor();
    await expect(page.locator(byTestId('warning-STALE_WORKER')).innerText()).resolves.toContain('version 2.3.1');
    await expect(page.locator(byTestId('warning-NO_WORKER')).count()).resolves.toBe(0);
    await e2e.screenshot('failures-3-stale-worker');
  }, 180_000);
});
