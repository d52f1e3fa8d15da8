import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byTestId, openApp, openPanelTab, screenshotOnFailure, startE2e, type E2eContext } from './support.js';

describe('demo page: access control', () => {
  let e2e: E2eContext;
  beforeAll(async () => {
    e2e = await startE2e('access');
  }, 180_000);
  afterAll(async () => {
    await e2e?.close();
  }, 60_000);

  it("shows bob a friendly message on alice's document, and the rejection with its code in the panel", async () => {
    const { page, demo } = e2e;
    screenshotOnFailure(e2e, 'access');
    await openApp(page, demo.url);
    await page.locator(byTestId('user-bob')).click();
    await page.locator(`${byTestId('user-bob')}[aria-pressed="true"]`).waitFor();
    // Document 1 is one of alice's sample documents.
    await page.locator(byTestId('doc-1')).click();

    await page.locator(byTestId('refusal')).waitFor();
    await expect(page.locator(byTestId('access-denied')).innerText()).resolves.toContain("This is alice's document");
    await expect(page.locator(byTestId('refusal')).innerText()).resolves.toContain('FORBIDDEN');
    await expect(page.locator(byTestId('summarize')).count()).resolves.toBe(0);
    await e2e.screenshot('access-1-denied');

    await openPanelTab(page, 'Subscriptions');
    const row = page.locator('[data-jobcast-debug] tr', { has: page.locator('th', { hasText: /^document:1$/ }) });
    await row.locator('text=rejected').waitFor();
    await expect(row.innerText()).resolves.toMatch(/FORBIDDEN\s+You are not allowed to subscribe to "document:1"/);
    await e2e.screenshot('access-2-panel');
  }, 180_000);
});
