import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byTestId, openApp, openPanelTab, screenshotOnFailure, startE2e, type E2eContext } from './support.js';

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

  it('says the steps after a final failure will not run, and the panel names the failure and the backoff waits', async () => {
    const { page, demo } = e2e;
    screenshotOnFailure(e2e, 'failures-final');
    await openApp(page, demo.url);
    await page.locator(byTestId('worker-start')).click();
    await page.locator(byTestId('forget-summaries')).click();
    await page.locator(byTestId('fault-step')).selectOption('chunk');
    await page.locator(byTestId('fault-always')).click();
    await page.locator(byTestId('fault-chunk')).waitFor();
    await page.locator(byTestId('doc-1')).click();
    await page.locator(byTestId('summarize')).click();
    // Four attempts with 2 s, 4 s and 8 s between them.
    await page.locator(byTestId('failure')).waitFor({ timeout: 120_000 });
    for (const step of ['summarize', 'persist']) {
      await expect(page.locator(byTestId(`step-${step}`)).innerText()).resolves.toContain('will not run: the job failed at chunk');
    }
    await page.getByRole('button', { name: 'Clear the fault on chunk' }).click();
    await e2e.screenshot('failures-4-final-failure');

    await openPanelTab(page, 'Jobs');
    const card = page.locator('[data-jobcast-debug] article').first();
    await expect(card.locator('[data-problem="FAILED"]').innerText()).resolves.toContain('After 4 of 4 attempts at step chunk');
    await expect(card.locator('[data-attempt]').count()).resolves.toBe(4);
    await expect(card.locator('[data-attempt="1"]').innerText()).resolves.toMatch(/chunk ✕ [\d.]+ m?s[\s\S]*backoff [\d.]+ s/);
    await e2e.screenshot('failures-5-panel-final-failure');
  }, 240_000);
});
