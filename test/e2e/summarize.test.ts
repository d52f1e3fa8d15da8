import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitSentences } from '../../demo/summarizer.js';
import { WAIT_MS, byTestId, openApp, screenshotOnFailure, startE2e, type E2eContext } from './support.js';

describe('demo page: summarize a document', () => {
  let e2e: E2eContext;
  beforeAll(async () => {
    e2e = await startE2e('summarize');
  }, 180_000);
  afterAll(async () => {
    await e2e?.close();
  }, 60_000);

  it('shows processing with a progress bar and the current step, then the summary', async () => {
    const { page, demo } = e2e;
    screenshotOnFailure(e2e, 'summarize');
    await openApp(page, demo.url);
    const text = await page.locator('.doc-text').innerText();
    await page.locator(byTestId('summarize')).click();

    // Processing: the headline, a progress bar and the step the worker is in.
    await page.locator(`${byTestId('job')}[data-state="active"]`).waitFor();
    await expect(page.locator(byTestId('headline')).innerText()).resolves.toBe('Processing…');
    await page.locator(`${byTestId('current-step')}:has-text("Step ")`).waitFor();
    expect(await page.locator(byTestId('current-step')).innerText()).toMatch(/Step [1-4] of 4:\s+(fetch|chunk|summarize|persist)/);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="progress"]')?.getAttribute('aria-valuenow')) > 0, undefined, { timeout: WAIT_MS });
    await e2e.screenshot('summarize-1-progress');

    // Then the summary: extractive, so every sentence of it comes from the document.
    await page.locator(byTestId('summary')).waitFor();
    const summary = await page.locator(byTestId('summary')).innerText();
    const sentences = splitSentences(summary);
    expect(sentences.length).toBeGreaterThan(0);
    for (const sentence of sentences) expect(text).toContain(sentence);
    for (const step of ['fetch', 'chunk', 'summarize', 'persist']) {
      await expect(page.locator(byTestId(`step-${step}`)).innerText()).resolves.toContain('done in');
    }
    await expect(page.locator(`${byTestId('job')} .badge`).innerText()).resolves.toMatch(/done/i);
    await e2e.screenshot('summarize-2-done');

    // Idempotent: the same text again is answered from the cache, before any step runs.
    await page.locator(byTestId('summarize')).click();
    await page.locator(`${byTestId('job')} .badge-cached`).waitFor();
    await expect(page.locator(byTestId('summary')).innerText()).resolves.toBe(summary);
    for (const step of ['fetch', 'chunk', 'summarize', 'persist']) {
      await expect(page.locator(byTestId(`step-${step}`)).innerText()).resolves.toContain('not needed: cached');
    }
    await e2e.screenshot('summarize-3-cached');
  }, 180_000);
});
