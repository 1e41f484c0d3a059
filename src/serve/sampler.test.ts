import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { DEFAULT_THRESHOLDS } from "../scan.js";
import { StoreError, type Store } from "../store/store.js";
import type { Sample } from "../analyze/sample.js";
import { copyFixture, setMemcgTotal } from "../testing/fixtures.js";
import { createMetrics, TOP_SUBTREES } from "../sinks/metrics.js";
import { makeSampler, type TestSamplerOptions } from "../testing/sampler.js";
import { parseSince } from "./api.js";
import { listenArg, DEFAULT_PORT } from "../cli/serve.js";
import { metricValue } from "../testing/serve.js";

const scan = { thresholds: DEFAULT_THRESHOLDS, deep: "auto" as const, emptyMinAgeMs: 600_000 };

function sampler(root: string, clock: { t: number }, extra: Partial<TestSamplerOptions> = {}) {
  const made = makeSampler({
    host: new Host(root),
    scan,
    walkIntervalMs: 300_000,
    windowMs: 6 * 3_600_000,
    openStore: null,
    now: () => clock.t,
    ...extra,
  });
  return { ...made, s: made.sampler };
}

test("the sampler walks on its interval or when the cheap count jumps, and reads only the counter between", async () => {
  const root = copyFixture("centos7-v1-near-cap");
  try {
    // Below the cap: past 65,535 this 3.10 kernel (dying memcgs hold IDs) is refused as impossible.
    setMemcgTotal(root, 64_000);
    const clock = { t: 1_000_000 };
    const { s } = sampler(root, clock);
    assert.equal((await s.tick()).lastWalkMs, clock.t, "the first tick walks");
    const walkedAt = clock.t;
    clock.t += 30_000;
    setMemcgTotal(root, 64_000 + 50); // churn below the trigger
    const cheap = await s.tick();
    assert.equal(cheap.lastWalkMs, walkedAt);
    assert.deepEqual(
      [cheap.sample?.total, cheap.sample?.live, cheap.sample?.idsUsed],
      [64_050, null, 64_050],
      "IDs follow the counter where dying memcgs hold them",
    );
    clock.t += 30_000;
    setMemcgTotal(root, 64_000 + 50 + 700);
    assert.equal((await s.tick()).lastWalkMs, clock.t, "a jump above the trigger walks early");
    clock.t += 300_000;
    const last = await s.tick();
    assert.equal(last.lastWalkMs, clock.t, "the walk interval walks");
    assert.equal(last.window.length, 4);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/** A database whose disk is full for the first `failures` writes. */
function fullDisk(failures: number): Store & { written: Sample[] } {
  const written: Sample[] = [];
  const write = (xs: Sample[]): void => {
    if (failures-- > 0)
      throw new StoreError(
        "/var/lib/cgleak/cgleak.db",
        "full",
        "the disk or the database is full (database or disk is full [SQLITE_FULL])",
      );
    written.push(...xs);
  };
  return {
    written,
    path: "x",
    append: (x) => write([x]),
    appendMany: write,
    range: () => [],
    latest: () => undefined,
    compact: () => ({ moved: 0, dropped: 0 }),
    putState: () => {},
    getState: () => undefined,
    bytes: () => 0,
    close: () => {},
  };
}

test("a full disk is logged once, samples stay in memory, and they are written when space is back", async () => {
  const root = copyFixture("centos7-v1-near-cap");
  try {
    const clock = { t: 1_000_000 };
    const store = fullDisk(3);
    const { s, logs, db } = sampler(root, clock, { openStore: () => store });
    for (let i = 0; i < 5; i++, clock.t += 30_000) await s.tick();
    const window = s.latest()?.window ?? [];
    assert.equal(logs.filter((l) => l.includes("full")).length, 1, logs.join("\n"));
    assert.ok(logs.some((l) => l === "store: recovered"));
    assert.deepEqual(
      store.written.map((x) => x.t),
      window.map((x) => x.t),
      "every sample reached the database, in order",
    );
    assert.equal(db.pending.length, 0);
    assert.equal(window.length, 5);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('subtree series stay bounded: the largest ones and "other"', async () => {
  const root = copyFixture("centos7-v1-near-cap");
  try {
    const { s } = sampler(root, { t: 1_000_000 });
    const tick = await s.tick();
    const subtrees = Array.from({ length: 30 }, (_, i) => ({
      path: `slice-${i}`,
      live: 100 - i,
      dying: null,
      pinnedBytes: 0,
    }));
    const metrics = createMetrics("test");
    metrics.export({ ...tick, report: { ...tick.report!, subtrees } });
    const text = (await metrics.render()).toString();
    const series = text.split("\n").filter((l) => l.startsWith("cgleak_memcg_subtree_cgroups{"));
    assert.equal(series.length, TOP_SUBTREES + 1);
    const rest = Array.from({ length: 30 - TOP_SUBTREES }, (_, i) => 100 - TOP_SUBTREES - i).reduce((a, b) => a + b, 0);
    assert.equal(metricValue(text, 'cgleak_memcg_subtree_cgroups{subtree="other",state="live"}'), rest);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("history's since: a duration back from now, epoch milliseconds or an ISO time; anything else is refused", () => {
  const now = Date.parse("2025-01-02T00:00:00Z");
  assert.equal(parseSince("90m", now), now - 90 * 60_000);
  assert.equal(parseSince("1735689600000", now), 1735689600000);
  assert.equal(parseSince("2025-01-01T00:00:00Z", now), now - 86_400_000);
  assert.equal(parseSince(null, now), now - 86_400_000);
  assert.throws(() => parseSince("yesterday", now), /since: expected/);
});

test("--listen binds loopback unless told otherwise", () => {
  assert.deepEqual(listenArg(String(DEFAULT_PORT)), { host: "127.0.0.1", port: DEFAULT_PORT });
  assert.deepEqual(listenArg("127.0.0.1:9"), { host: "127.0.0.1", port: 9 });
  assert.deepEqual(listenArg(":80"), { host: "::", port: 80 });
  assert.deepEqual(listenArg("[::1]:80"), { host: "::1", port: 80 });
  assert.throws(() => listenArg("localhost:99999"), /expected host:port/);
});

test("one walk at a time: concurrent asks share the walk in flight", async () => {
  const { Walker } = await import("./walker.js");
  const root = copyFixture("centos7-v1-near-cap");
  const w = new Walker(new Host(root), scan);
  try {
    const asks = [w.walk(), w.walk(), w.walk()];
    assert.equal(w.busy, true);
    const [a, b, c] = await Promise.all(asks);
    assert.ok(a === b && b === c, "one report for all three");
    assert.equal(a!.memcg.live, 61);
    assert.equal(w.busy, false);
    assert.notEqual(await w.walk(), a, "the next ask walks again");
  } finally {
    await w.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("a walk that throws is the walk collector's failure, and the daemon goes on", async () => {
  const { Walker } = await import("./walker.js");
  const root = copyFixture("centos7-v1-near-cap");
  const w = new Walker(new Host(root), scan);
  try {
    const clock = { t: 1_000_000 };
    const { s, logs } = sampler(root, clock, { walk: () => w.walk() });
    await s.tick();
    fs.writeFileSync(path.join(root, "proc/sys/kernel/osrelease"), ""); // the walk reads it, the counter does not
    clock.t += 300_000;
    const t = await s.tick();
    assert.equal(t.collectors.walk?.success, false);
    assert.equal(t.collectors.cheap?.success, true);
    assert.equal(t.walked, false);
    assert.equal(t.sample?.total, 65_530, "the cheap sample is still taken");
    assert.match(logs.join("\n"), /walk failed: .*osrelease/);
  } finally {
    await w.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

function setV2Dying(root: string, n: number): void {
  const file = path.join(root, "sys/fs/cgroup/cgroup.stat");
  fs.writeFileSync(
    file,
    fs
      .readFileSync(file, "utf8")
      .replace(/^nr_dying_subsys_memory \d+$/m, `nr_dying_subsys_memory ${n}`)
      .replace(/^nr_dying_descendants \d+$/m, `nr_dying_descendants ${n}`),
  );
}

test("the sampler debounces dying memcgs on a kernel that may count them from rmdir on: a fresh burst raises no alarm", async () => {
  for (const [release, alarm] of [
    ["7.1.2", "ok"],
    ["6.12.10", "warning"],
  ] as const) {
    const root = copyFixture("v2-debian-6.12-kubepods");
    try {
      fs.writeFileSync(path.join(root, "proc/sys/kernel/osrelease"), `${release}\n`);
      const clock = { t: 1_000_000 };
      const { s } = sampler(root, clock, { scan: { ...scan, thresholds: { ...DEFAULT_THRESHOLDS, dyingWarn: 100 } } });
      await s.tick();
      clock.t += 30_000;
      await s.tick();
      clock.t += 30_000;
      setV2Dying(root, 500); // a burst of removals just now: the counter jumps and the sampler walks early
      const t = await s.tick();
      assert.equal(t.lastWalkMs, clock.t);
      assert.equal(t.report?.memcg.dying, 500);
      assert.equal(t.report?.status.level, alarm, release);
      if (release === "7.1.2") {
        assert.deepEqual(t.report?.memcg.dyingSettled, { count: 19, windowSeconds: 60, readings: 2 });
        assert.match(t.report?.status.sentence ?? "", /19 of the 500 dying have been dying for 60 s or more/);
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
});

test("each walk is handed the previous walk's dying count per controller, so a growing one is a finding", async () => {
  const root = copyFixture("v2-debian-6.12-kubepods");
  try {
    const clock = { t: 1_000_000 };
    const { s } = sampler(root, clock);
    const first = await s.tick();
    assert.equal(first.report?.controllersBefore, null, "the first walk has nothing to compare with");
    assert.equal(first.report?.controllers?.find((c) => c.name === "pids")?.dying, 0);
    assert.equal(
      first.report?.findings.find((x) => x.id === "dying-controllers"),
      undefined,
    );
    const file = path.join(root, "sys/fs/cgroup/cgroup.stat");
    fs.writeFileSync(
      file,
      fs.readFileSync(file, "utf8").replace(/^nr_dying_subsys_pids 0$/m, "nr_dying_subsys_pids 40"),
    );
    clock.t += 300_000;
    const second = await s.tick();
    assert.equal(second.report?.controllersBefore?.atMs, first.lastWalkMs);
    assert.equal(second.report?.controllersBefore?.dying["pids"], 0);
    const f = second.report?.findings.find((x) => x.id === "dying-controllers");
    assert.match(f?.title ?? "", /^40 dying pids \(up from 0\): /);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
