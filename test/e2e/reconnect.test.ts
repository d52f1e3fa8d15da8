import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byTestId, openApp, openPanelTab, screenshotOnFailure, startE2e, type E2eContext } from './support.js';

describe('demo page: connection dropped during a job', () => {
  let e2e: E2eContext;
  beforeAll(async () => {
    e2e = await startE2e('reconnect');
  }, 180_000);
  afterAll(async () => {
    await e2e?.close();
  }, 60_000);

  it('shows the final state after the connection returns, and the recovered broadcasts in the panel', async () => {
    const { page, demo } = e2e;
    screenshotOnFailure(e2e, 'reconnect');
    await openApp(page, demo.url);
    await page.locator(byTestId('summarize')).click();
    // Drop the connection once the worker is in the first step: the rest of the job happens while offline.
    await page.locator(`${byTestId('current-step')}:has-text("Step 1 of 4")`).waitFor();
    await page.locator(byTestId('drop-seconds')).selectOption('5');
    await page.locator(byTestId('drop-connection')).click();
    await page.locator(`${byTestId('connection')}:has-text("offline")`).waitFor();
    await page.locator(byTestId('reconnecting')).waitFor();
    await e2e.screenshot('reconnect-1-offline');

    // Back online: the final state, and the gap counted as recovered by replay.
    await page.locator(`${byTestId('connection')}:has-text("live")`).waitFor();
    await page.locator(byTestId('summary')).waitFor();
    await page.locator(`${byTestId('missed')}:has-text("all recovered by replay")`).waitFor();
    expect(await page.locator(byTestId('missed')).innerText()).toMatch(/While the connection was down, \d+ broadcasts? of this job (was|were) missed/);
    await e2e.screenshot('reconnect-2-recovered');

    await openPanelTab(page, 'Missed broadcasts');
    const row = page.locator('[data-jobcast-debug] table[aria-label="Missed broadcasts per room"] tr', { has: page.locator('th', { hasText: /^document:1$/ }) });
    const cells = await row.locator('td').allInnerTexts();
    // Detected, replayed, resynced, pending.
    expect(cells.map(Number)).toEqual([1, 1, 0, 0]);
    await page.locator('[data-jobcast-debug] table[aria-label="Missed ranges"] td', { hasText: 'replayed' }).waitFor();
    await e2e.screenshot('reconnect-3-panel');

    // The note belongs to that job: the next job of the same document, which missed nothing, has none.
    await page.getByRole('button', { name: 'Close the jobcast debug panel' }).click();
    await page.locator(byTestId('forget-summaries')).click();
    const firstJob = await page.locator('.job-footer code').first().innerText();
    await page.locator(byTestId('summarize')).click();
    await page.locator('.job-footer code').first().filter({ hasNotText: firstJob }).waitFor();
    await page.locator(`${byTestId('job')}[data-state="completed"]`).waitFor();
    expect(await page.locator(byTestId('missed')).count()).toBe(0);
  }, 180_000);
});
