/**
 * Layout facts measured in the browser: words broken across lines, styles that allow it,
 * horizontal overflow, overlapping boxes. Used by the layout tests of the page and the panel.
 */
import type { Page } from 'playwright-core';

/**
 * The words under `selector` that the browser laid out on more than one line (a word is a run
 * of non-space characters within one text node; ranges give one box per line it spans).
 */
export function brokenWords(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((root) => {
    const broken: string[] = [];
    for (const element of document.querySelectorAll(root)) {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent ?? '';
        for (const match of text.matchAll(/\S+/g)) {
          const range = document.createRange();
          range.setStart(node, match.index!);
          range.setEnd(node, match.index! + match[0].length);
          const lines = new Set([...range.getClientRects()].filter((rect) => rect.width > 0).map((rect) => Math.round(rect.top)));
          if (lines.size > 1) broken.push(match[0]);
        }
      }
    }
    return broken;
  }, selector);
}

/** Cells under `selector` whose computed style lets the browser cut a word (`break-all`, `anywhere`). */
export function cellsThatMayBreakWords(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((root) => {
    const loose: string[] = [];
    for (const cell of document.querySelectorAll<HTMLElement>(`${root} td, ${root} th`)) {
      const style = getComputedStyle(cell);
      if (style.wordBreak === 'break-all' || style.wordBreak === 'break-word' || style.overflowWrap === 'anywhere') loose.push(cell.textContent ?? '');
    }
    return loose;
  }, selector);
}

/** How far the page is wider than the viewport (0 when it fits). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth));
}

/** Pairs of elements matching `selector` whose boxes overlap (by more than a pixel). */
export function overlappingBoxes(page: Page, selector: string): Promise<Array<[number, number]>> {
  return page.evaluate((query) => {
    const boxes = [...document.querySelectorAll(query)].map((element) => element.getBoundingClientRect());
    const pairs: Array<[number, number]> = [];
    boxes.forEach((a, i) =>
      boxes.forEach((b, j) => {
        if (j <= i) return;
        const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (x > 1 && y > 1) pairs.push([i, j]);
      }),
    );
    return pairs;
  }, selector);
}
