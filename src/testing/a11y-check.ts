import assert from "node:assert/strict";
import type { Page } from "playwright-core";

/** Real headings, and every text shown at WCAG AA contrast (4.5:1) against what is behind it. */
export async function checkAccessible(page: Page): Promise<void> {
  const a = await page.evaluate(() => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = (c: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(c[0]!) + 0.7152 * f(c[1]!) + 0.0722 * f(c[2]!);
    };
    const behind = (e: Element | null): number[] => {
      for (; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c[3] ?? 0) > 0.9) return c;
      }
      return [255, 255, 255];
    };
    const low: string[] = [];
    for (const e of document.querySelectorAll("main *, header *, footer")) {
      const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent!.trim() !== "");
      if (!own || (e as HTMLElement).offsetParent === null) continue;
      const [l1, l2] = [lum(rgb(getComputedStyle(e).color)), lum(behind(e))].sort((x, y) => y - x);
      const ratio = (l1! + 0.05) / (l2! + 0.05);
      if (ratio < 4.5)
        low.push(
          `${e.tagName.toLowerCase()}.${e.className} "${e.textContent!.trim().slice(0, 30)}" ${ratio.toFixed(2)}:1`,
        );
    }
    return {
      h1: document.querySelectorAll("h1").length,
      h2: [...document.querySelectorAll("h2")].map((h) => h.textContent),
      low,
    };
  });
  assert.equal(a.h1, 1, "one h1");
  assert.ok(a.h2.length >= 5, `a heading per section: ${a.h2.join(" | ")}`);
  assert.deepEqual(a.low, [], "text contrast below 4.5:1");
}
