import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { launchChromium, noBrowser } from "../testing/browser.js";
import type { Browser } from "playwright-core";
import { startServe, waitFor, type Served } from "../testing/serve.js";
import { spawn } from "node:child_process";
import { ALWAYS_ACT, makeDying, makeLab, mountTmpfs, removeLab } from "../testing/reap-setup.js";
import { CLI } from "../testing/fixtures.js";
import { fixtureRoot } from "../testing/fixtures.js";
import { needsRootMemcgV1 } from "../testing/kernel.js";
import { checkPage, seedLeak, ARTIFACTS } from "../testing/page-check.js";

let browser: Browser | undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-web-"));

before(async () => {
  if (noBrowser) return;
  browser = await launchChromium();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test(
  "the page on the centos7 fixture shows /api/status's numbers, the stored history with the forecast, and a finding's fix",
  { skip: noBrowser },
  async () => {
    const db = path.join(tmp, "centos7.db");
    const seeded = seedLeak(db, Date.now(), 65_530, "unknown");
    let served: Served | undefined;
    try {
      served = await startServe([
        "--host-root",
        fixtureRoot("centos7-v1-near-cap"),
        "--db",
        db,
        "--interval",
        "1s",
        "--versions",
        "runc=1.0.0-rc92,kubelet=1.18.3",
      ]);
      const seen = await checkPage(browser as Browser, served.url, "centos7");
      assert.ok(seen.points > seeded, `chart has ${seen.points} points, the database was seeded with ${seeded}`);
      assert.equal(seen.forecastDrawn, true, "a leaking forecast is drawn to the cap");
      assert.equal(seen.level, "CRITICAL");
      assert.ok(seen.findings >= 1, "the critical finding is shown");
    } finally {
      await served?.stop();
    }
  },
);

test(
  "the page on this host shows /api/status's numbers and the history sampled so far",
  { skip: noBrowser || needsRootMemcgV1() },
  async () => {
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
  },
);

test(
  "the reaper panel shows what the writer (`reap --every --status-file`, as the deploy runs it) freed and what it cannot free",
  { skip: noBrowser || needsRootMemcgV1(), timeout: 120_000 },
  async () => {
    const lab = makeLab("webreap");
    const status = path.join(lab.tmp, "reap.json");
    let served: Served | undefined;
    const writer = { proc: null as ReturnType<typeof spawn> | null, err: "" };
    try {
      makeDying(lab, lab.pods, `${lab.tmp}/pc`, 200, 65536);
      makeDying(lab, `${lab.top}/shm`, `${mountTmpfs(lab)}/f`, 20, 65536);
      await new Promise((r) => setTimeout(r, 2100)); // memory.stat is flushed every 2 s
      // PSI off: other tests' I/O on this shared machine must not veto (the veto has its own test)
      const args = [
        "reap",
        "--every",
        "1s",
        "--yes",
        "--under",
        lab.rel,
        ...ALWAYS_ACT,
        "--state-file",
        path.join(lab.tmp, "state.json"),
        "--status-file",
        status,
      ];
      writer.proc = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
      writer.proc.stderr?.on("data", (d: Buffer) => (writer.err += d.toString()));
      const acted = async (): Promise<true | undefined> =>
        /"acted":[1-9]/.test(fs.readFileSync(status, "utf8")) ? true : undefined;
      await waitFor("a pass that acted in the status file", 60_000, acted).catch((err: Error) =>
        assert.fail(`${err.message}; the writer said: ${writer.err}`),
      );
      served = await startServe(["--host-root", "/", "--db", ":memory:", "--interval", "1s", "--reap-status", status]);
      const seen = await checkPage(browser as Browser, served.url, "reap");
      assert.equal(seen.reap.enabled, true);
      const pinnedFreed = seen.reap.totals?.pinnedFreed ?? 0;
      assert.ok(pinnedFreed >= 200 * 65536 * 0.9, `pinned freed ${pinnedFreed}`);
      const shm = seen.reap.unreclaimable.some((u) => u.path.endsWith(`${lab.rel}/shm`) && /tmpfs/.test(u.reason));
      assert.ok(shm, JSON.stringify(seen.reap.unreclaimable));
    } finally {
      await served?.stop();
      if (writer.proc && writer.proc.exitCode === null) {
        const gone = new Promise((r) => writer.proc?.once("exit", r));
        writer.proc.kill("SIGTERM");
        await gone;
      }
      assert.deepEqual(await removeLab(lab), []);
    }
  },
);
