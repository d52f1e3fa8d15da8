import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byTestId, openApp, openPanelTab, screenshotOnFailure, startE2e, type E2eContext } from './support.js';
import { brokenWords, cellsThatMayBreakWords, horizontalOverflow, overlappingBoxes } from './layoutFacts.js';

const PANEL = '[data-jobcast-debug]';
const TABS = ['Connection', 'Subscriptions', 'Missed broadcasts', 'Event log', 'Jobs', 'Why no update?'] as const;

describe('debug panel and demo page layout in Chromium', () => {
  let e2e: E2eContext;
  beforeAll(async () => {
    e2e = await startE2e('layout');
  }, 180_000);
  afterAll(async () => {
    await e2e?.close();
  }, 60_000);

  it('never breaks a word in the panel at 1280 px and at 390 px, and keeps it compact at 1440 px', async () => {
    const { page, demo } = e2e;
    screenshotOnFailure(e2e, 'layout-panel');
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width > 800 ? 900 : 844 });
      // The gallery: the panel over fixed data with a job in each situation it names.
      await page.goto(`${demo.url}gallery.html`);
      for (const tab of TABS) {
        await openPanelTab(page, tab);
        await page.locator(`${PANEL} [role="tabpanel"] h3`).waitFor();
        expect({ width, tab, broken: await brokenWords(page, `${PANEL} [role="tabpanel"]`) }).toEqual({ width, tab, broken: [] });
        expect(await cellsThatMayBreakWords(page, PANEL)).toEqual([]);
      }
      expect(await horizontalOverflow(page)).toBe(0);
      const box = (await page.locator(`${PANEL} [role="region"]`).boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);
      await e2e.screenshot(`panel-gallery-${width}-jobs`);
    }

    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${demo.url}gallery.html`);
    await openPanelTab(page, 'Event log');
    const panel = (await page.locator(`${PANEL} [role="region"]`).boundingBox())!;
    expect(panel.width).toBeLessThanOrEqual(1440 * 0.4);
    expect(panel.height).toBeLessThanOrEqual(900 * 0.6);
    // Thirty progress events of one job are grouped rows that say where the percent and step went.
    const grouped = page.locator(`${PANEL} table[aria-label="Event log entries"] tr[data-count]:not([data-count="1"])`);
    expect(await grouped.count()).toBeGreaterThan(0);
    expect(await grouped.first().innerText()).toMatch(/×\d+[\s\S]*progress → active · \d+ % → \d+ % · summarize \(3\/4\)/);
    await e2e.screenshot('panel-gallery-1440-log');

    // Collapsed, it is a header bar.
    await page.getByRole('button', { name: 'Collapse the jobcast debug panel' }).click();
    const collapsed = (await page.locator(`${PANEL} [role="region"]`).boundingBox())!;
    expect(collapsed.height).toBeLessThan(60);
  }, 180_000);

  it('names every failure mode of the gallery jobs, with their timelines and bull-board links', async () => {
    const { page, demo } = e2e;
    screenshotOnFailure(e2e, 'layout-jobs');
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${demo.url}gallery.html`);
    await openPanelTab(page, 'Jobs');
    const problems = await page.locator(`${PANEL} [data-problem]`).evaluateAll((items) => items.map((item) => item.getAttribute('data-problem')));
    expect(new Set(problems)).toEqual(new Set(['NO_WORKER', 'WORKER_LOST', 'STALE_WORKER', 'BACKOFF', 'DEDUPLICATED', 'UNKNOWN', 'CARRIED_OVER', 'FAILED', 'SWALLOWED', 'RERUN']));
    expect(await page.locator(`${PANEL} article[data-job="47"] [data-problem="SWALLOWED"]`).innerText()).toContain('Step chunk (attempt 1) failed and the job went on');
    expect(await page.locator(`${PANEL} article[data-job="48"] [data-problem="RERUN"]`).innerText()).toContain('Attempt 2 ran fetch, chunk again after attempt 1');
    const backoff = await page.locator(`${PANEL} [data-problem="BACKOFF"]`).innerText();
    expect(backoff).toMatch(/Waiting on a backoff until \d\d:\d\d:\d\d\.\d{3} \(in \d+\.\d s\), then attempt 2 of 4/);
    const failed = page.locator(`${PANEL} article[data-job="30"]`);
    expect(await failed.locator('[data-attempt]').count()).toBe(4);
    expect(await failed.locator('[data-attempt="1"]').innerText()).toMatch(/fetch ✓ 800 ms[\s\S]*persist ✕ 300 ms[\s\S]*backoff \d+\.\d s/);
    expect(await page.locator(`${PANEL} article[data-job="41"] dd`).first().innerText()).toMatch(/^\d+ % · summarize \(3\/4\)/);
    expect(await page.locator(`${PANEL} article[data-job="41"] a`, { hasText: 'bull-board' }).getAttribute('href')).toBe('/admin/queues/queue/summaries/41');
    await page.locator(`${PANEL} a[href$="_30"]`).click();
    await e2e.screenshot('panel-gallery-1440-failed-job');
  }, 120_000);

  it('shows a real job in the demo without a broken word at 1280 px, in a panel a third of a 1440 px screen wide', async () => {
    const { page, demo } = e2e;
    screenshotOnFailure(e2e, 'layout-demo');
    await page.setViewportSize({ width: 1280, height: 900 });
    await openApp(page, demo.url);
    await page.locator(byTestId('forget-summaries')).click();
    await page.locator(byTestId('summarize')).click();
    await page.locator(`${byTestId('job')}[data-state="completed"]`).waitFor();
    for (const tab of ['Event log', 'Jobs'] as const) {
      await openPanelTab(page, tab);
      await page.locator(`${PANEL} [role="tabpanel"] table`).first().waitFor();
      expect({ tab, broken: await brokenWords(page, `${PANEL} [role="tabpanel"]`) }).toEqual({ tab, broken: [] });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    const panel = (await page.locator(`${PANEL} [role="region"]`).boundingBox())!;
    expect(panel.width).toBeLessThanOrEqual(1440 * 0.4);
    await e2e.screenshot('demo-1440-panel-jobs');
    await page.getByRole('button', { name: 'Close the jobcast debug panel' }).click();
  }, 120_000);

  it('fits the demo page on a 390 px phone: the summary on the first screen, step cards side by side without overlap', async () => {
    const { page, demo } = e2e;
    screenshotOnFailure(e2e, 'layout-phone');
    await page.setViewportSize({ width: 390, height: 844 });
    await openApp(page, demo.url);
    await page.locator(byTestId('summarize')).click();
    await page.locator(byTestId('summary')).waitFor();
    expect(await horizontalOverflow(page)).toBe(0);
    // The page may swap the summary card while the new job's statuses arrive: wait for one on screen.
    await expect.poll(async () => (await page.locator(byTestId('summary')).boundingBox())?.y ?? Infinity, { timeout: 30_000 }).toBeLessThan(844);
    expect(await page.locator(`${byTestId('job')} .step`).count()).toBe(4);
    expect(await overlappingBoxes(page, `${byTestId('job')} .step`)).toEqual([]);
    expect(await brokenWords(page, `${byTestId('job')} .steps`)).toEqual([]);
    await e2e.screenshot('phone-390-summary');
  }, 120_000);
});
