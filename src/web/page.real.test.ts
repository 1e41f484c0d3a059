import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import { startServe, waitFor, type Served } from "../testing/serve.js";
import { fixtureRoot } from "../testing/fixtures.js";
import { needsRootMemcgV1 } from "../testing/kernel.js";
import { checkPage, seedLeak, ARTIFACTS } from "../testing/page-check.js";

const CHROMIUM = "/usr/bin/chromium";
const noBrowser = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`;
let browser: Browser | undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-web-"));

before(async () => {
  if (noBrowser) return;
  const { chromium } = await import("playwright-core");
  // launch() gives every browser a fresh profile in the temp dir (it refuses --user-data-dir).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("the page on the centos7 fixture shows /api/status's numbers, the stored history with the forecast, and a finding's fix", { skip: noBrowser }, async () => {
  const db = path.join(tmp, "centos7.db");
  const seeded = seedLeak(db, Date.now(), 65_530, "unknown");
  let served: Served | undefined;
  try {
    served = await startServe(["--host-root", fixtureRoot("centos7-v1-near-cap"), "--db", db, "--interval", "1s", "--versions", "runc=1.0.0-rc92,kubelet=1.18.3"]);
    const seen = await checkPage(browser as Browser, served.url, "centos7");
    assert.ok(seen.points > seeded, `chart has ${seen.points} points, the database was seeded with ${seeded}`);
    assert.equal(seen.forecastDrawn, true, "a leaking forecast is drawn to the cap");
    assert.equal(seen.level, "CRITICAL");
    assert.ok(seen.findings >= 1, "the critical finding is shown");
  } finally {
    await served?.stop();
  }
});

test("the page on this host shows /api/status's numbers and the history sampled so far", { skip: noBrowser || needsRootMemcgV1() }, async () => {
  let served: Served | undefined;
  try {
    served = await startServe(["--host-root", "/", "--db", path.join(tmp, "host.db"), "--interval", "1s"]);
    const url = served.url;
    await waitFor("3 stored samples", 15_000, async () => {
      const h = (await (await fetch(`${url}/api/history?since=1h`)).json()) as { samples: unknown[] };
      return h.samples.length >= 3 ? true : undefined;
    });
    const seen = await checkPage(browser as Browser, url, "host");
    assert.ok(seen.points >= 3, `chart has ${seen.points} points`);
  } finally {
    await served?.stop();
  }
});
