import assert from "node:assert/strict";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import type { ScanReport } from "../analyze/report.js";
import { openStore } from "../store/store.js";
import { checkAccessible } from "./a11y-check.js";

/** Screenshots land here (git-ignored), one per host and width. */
export const ARTIFACTS = fileURLToPath(new URL("../../artifacts/", import.meta.url));

const nf = new Intl.NumberFormat("en-US");

export interface Seen {
  points: number;
  forecastDrawn: boolean;
  level: string;
  findings: number;
  reap: ReapDoc;
}

/**
 * Opens the page, waits for its first render and checks it against the very /api/status answer it
 * rendered (the node changes between two requests, so a second request would not compare). Then
 * the chart, the findings, console errors, the requests made, and the page at phone width.
 */
export async function checkPage(browser: Browser, url: string, name: string): Promise<Seen> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  const statusAnswers: string[] = [];
  try {
    const page = await context.newPage();
    page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => requests.push(r.url()));
    page.on(
      "response",
      (r) =>
        void (
          new URL(r.url()).pathname === "/api/status" &&
          r.text().then(
            (t) => statusAnswers.push(t),
            () => {},
          )
        ),
    );
    await page.goto(`${url}/?refresh=1`);
    // Two renders: the page refreshes by itself.
    await page.waitForFunction(
      () => ((window as unknown as { cgleak?: { renders: number } }).cgleak?.renders ?? 0) > 1,
      null,
      { timeout: 10_000 },
    );
    const shown = await readPage(page);
    assert.ok(statusAnswers.includes(shown.statusRaw), "the page rendered an answer of /api/status");
    const report = (JSON.parse(shown.statusRaw) as { report: ScanReport }).report;
    compareNumbers(shown, report);
    const historyCount = (JSON.parse(shown.historyRaw) as { samples: unknown[] }).samples.length;
    assert.equal(shown.points, historyCount, "the chart has one point per stored sample");
    assert.ok(shown.inked > 50, `the chart's series are drawn (${shown.inked} pixels in their colours)`);
    compareFindings(shown.findingsText, report);
    compareReap(shown, JSON.parse(shown.reapRaw) as ReapDoc);
    await checkAccessible(page);
    await page.screenshot({ path: path.join(ARTIFACTS, `web-${name}-desktop.png`), fullPage: true });
    await phoneWidth(page, name);
    const foreign = requests.filter(
      (r) => !r.startsWith(`${url}/`) || !/^\/(|api\/\w+|static\/[\w.]+)$/.test(new URL(r).pathname),
    );
    assert.deepEqual(foreign, [], "the page asks only cgleak serve, for /api/* and its own files");
    assert.deepEqual(errors, [], "no console errors");
    const reap = JSON.parse(shown.reapRaw) as ReapDoc;
    const findings = report.findings.length;
    return { points: shown.points, forecastDrawn: shown.forecast === "yes", level: shown.level, findings, reap };
  } finally {
    await context.close();
  }
}

type Shown = Awaited<ReturnType<typeof readPage>>;

/** Everything in one evaluate: the page cannot re-render in between. */
function readPage(page: Page) {
  return page.evaluate(() => {
    const g = (window as unknown as { cgleak: { status: string; history: string; reap: string } }).cgleak;
    const fig = (id: string) => {
      const e = document.getElementById(id) as HTMLElement;
      return { text: e.textContent ?? "", value: e.dataset.value ?? "" };
    };
    const canvas = document.querySelector("#chart canvas") as HTMLCanvasElement;
    const px = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    // The live, dying and total series' stroke colours (chart.js COLORS).
    const inks = [
      [0x1f, 0x4e, 0x99],
      [0x2e, 0x7d, 0x32],
      [0xb3, 0x5c, 0x00],
    ];
    let inked = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (
        inks.some(
          ([r, gr, b]) =>
            Math.abs(px[i]! - r!) + Math.abs(px[i + 1]! - gr!) + Math.abs(px[i + 2]! - b!) < 24 && px[i + 3]! > 200,
        )
      )
        inked++;
    }
    const chartFig = document.getElementById("chart-fig") as HTMLElement;
    return {
      statusRaw: g.status,
      historyRaw: g.history,
      reapRaw: g.reap,
      reap: {
        on: fig("reap-on"),
        dying: fig("reap-dying"),
        pinned: fig("reap-pinned"),
        evicted: fig("reap-evicted"),
        refaults: fig("reap-refaults"),
        merit: fig("reap-merit"),
        sentence: fig("reap-sentence").text,
        unreclaimable: fig("reap-unreclaimable").text,
        figuresShown: !(document.getElementById("reap-figures") as HTMLElement).hidden,
      },
      live: fig("live"),
      dying: fig("dying"),
      total: fig("total"),
      pinned: fig("pinned"),
      used: fig("used-pct"),
      level: document.getElementById("level")!.textContent ?? "",
      sentence: document.getElementById("sentence")!.textContent ?? "",
      points: Number(chartFig.dataset.points),
      forecast: chartFig.dataset.forecast ?? "",
      inked,
      findingsText: document.getElementById("findings")!.innerText,
      controllerRows: [...(document.getElementById("controllers") as HTMLTableElement).tBodies[0]!.rows].map((tr) =>
        [...tr.cells].map((td) => td.textContent ?? ""),
      ),
      pinPaths: [...(document.getElementById("pins") as HTMLTableElement).tBodies[0]!.rows].map(
        (tr) => tr.cells[0]?.textContent ?? "",
      ),
    };
  });
}

function compareNumbers(s: Shown, r: ScanReport): void {
  for (const [k, v] of [
    ["live", r.memcg.live],
    ["dying", r.memcg.dying],
    ["total", r.memcg.kernelTotal],
  ] as const) {
    assert.equal(s[k].value, String(v), `${k} as data`);
    assert.equal(s[k].text, nf.format(v), `${k} as shown`);
  }
  assert.equal(s.pinned.value, r.dying.pinnedBytes === null ? "" : String(r.dying.pinnedBytes));
  const dash = (x: number | null): string => (x === null ? "–" : nf.format(x));
  assert.deepEqual(
    s.controllerRows,
    (r.controllers ?? []).map((c) => [c.name, dash(c.live), dash(c.dying)]),
    "every controller's live and dying counts",
  );
  const pins = (r.dying.pins ?? []).slice(0, 10).map((p) => (p.path === "" ? "/" : p.path));
  assert.deepEqual(s.pinPaths, pins.length === 0 ? ["No dying memcg pins anything."] : pins, "the pins, largest first");
  assert.equal(s.used.value, String(r.ids.usedRatio));
  assert.equal(s.used.text, `${(Math.floor(r.ids.usedRatio * 1000) / 10).toFixed(1)} %`);
  assert.equal(s.level, r.status.level.toUpperCase());
  assert.equal(s.sentence, r.status.sentence);
}

/** The parts of /api/reap the reaper panel shows. */
export interface ReapDoc {
  enabled: boolean;
  dryRun: boolean;
  totals: {
    dyingFreed: number;
    pinnedFreed: number;
    liveCacheEvicted: number;
    refaults: number;
    dyingFreedPerGiBEvicted: number | null;
  } | null;
  lastPass: { verdict: string; reason: string } | null;
  unreclaimable: Array<{ path: string; reason: string }>;
}

function compareReap(s: Shown, d: ReapDoc): void {
  assert.equal(s.reap.on.text, d.enabled ? (d.dryRun ? "ON (dry run)" : "ON") : "OFF", "whether the reaper runs");
  assert.equal(s.reap.figuresShown, d.totals !== null, "the reaper's figures show when it has totals");
  if (d.totals !== null) {
    const t = d.totals;
    const figures = [
      ["dying", t.dyingFreed],
      ["refaults", t.refaults],
      ["pinned", t.pinnedFreed],
      ["evicted", t.liveCacheEvicted],
    ] as const;
    for (const [k, v] of figures) {
      assert.equal(s.reap[k].value, String(v), `reaper ${k} as data`);
    }
    assert.equal(s.reap.dying.text, nf.format(d.totals.dyingFreed));
    const merit = d.totals.dyingFreedPerGiBEvicted;
    assert.equal(s.reap.merit.value, merit === null ? "" : String(merit), "the figure of merit");
  }
  const last = d.lastPass;
  if (last) assert.ok(s.reap.sentence.includes(`${last.verdict} (${last.reason})`), `last pass: ${s.reap.sentence}`);
  for (const u of d.unreclaimable) {
    const shown = s.reap.unreclaimable;
    assert.ok(shown.includes(u.reason) && shown.includes(u.path), `not reclaimable: ${u.path}`);
  }
}

function compareFindings(text: string, r: ScanReport): void {
  const first = r.findings[0];
  if (first === undefined) return assert.match(text, /No findings/);
  assert.ok(text.includes(first.title), "the first finding's title is shown");
  for (const step of first.fix) assert.ok(text.includes(step), `its fix is shown: ${step}`);
}

/** 390 px: an iPhone's width. Nothing may stick out sideways. */
async function phoneWidth(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200); // the chart resizes on the resize event
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over <= 0, `the page is ${over} px wider than a 390 px phone`);
  await page.screenshot({ path: path.join(ARTIFACTS, `web-${name}-phone.png`), fullPage: true });
}

/** 24 h of a node climbing 200 memcgs an hour to where the fixture is now; every 6th sample walked. */
export function seedLeak(db: string, now: number, level: number, bootId: string): number {
  const store = openStore(db);
  let n = 0;
  try {
    for (let ago = 24 * 3600; ago >= 60; ago -= 300, n++) {
      const total = Math.round(level - (200 * ago) / 3600);
      const walked = n % 6 === 0;
      store.append({
        t: now - ago * 1000,
        bootId,
        total,
        live: walked ? 61 : null,
        dying: walked ? total - 61 : null,
        idsUsed: total,
        pinnedBytes: walked ? total * 43_000 : null,
      });
    }
  } finally {
    store.close();
  }
  return n;
}
