import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import Database from "better-sqlite3";
import { openStore, storeError, StoreError, SCHEMA_VERSION, NODE_STATE_KEY, type Store } from "./store.js";
import type { Sample } from "../analyze/sample.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync("/tmp/cgleak-test-store-");
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function sample(t: number, total: number, walk = true, bootId = "boot-a"): Sample {
  return {
    t,
    bootId,
    total,
    live: walk ? total - 100 : null,
    dying: walk ? 100 : null,
    idsUsed: walk ? total - 100 : null,
    pinnedBytes: walk ? 4096 * total : null,
  };
}

/** 30 s samples from `from` for `ms`, a walk every tenth (as the daemon does on a big node). */
function fill(s: Store, from: number, ms: number, y: (t: number) => number, compactEveryMs = 0): void {
  const batch: Sample[] = [];
  for (let t = from; t < from + ms; t += 30_000) {
    batch.push(sample(t, y(t), ((t - from) / 30_000) % 10 === 0));
    if (compactEveryMs && (t - from) % compactEveryMs === compactEveryMs - 30_000) {
      s.appendMany(batch.splice(0));
      s.compact(t + 30_000);
    }
  }
  s.appendMany(batch);
}

test("round trip: samples come back as written, nulls and boot IDs included, in time order", () => {
  const s = openStore(":memory:");
  const a = sample(T0 + 2000, 500);
  const b = sample(T0 + 1000, 400, false, "boot-b");
  s.append(a);
  s.append(b);
  assert.deepEqual(s.range(0), [
    { ...b, n: 1, totalMax: 400, idsUsedMax: null },
    { ...a, n: 1, totalMax: 500, idsUsedMax: 400 },
  ]);
  assert.deepEqual(
    s.range(T0 + 1000, T0 + 2000).map((x) => x.t),
    [T0 + 1000],
    "until is exclusive",
  );
  assert.equal(s.latest()?.t, T0 + 2000);
  s.close();
});

test("state: JSON values by key, replaced on write, undefined when absent", () => {
  const s = openStore(":memory:");
  assert.equal(s.getState(NODE_STATE_KEY), undefined);
  s.putState(NODE_STATE_KEY, { dyingHoldIds: "unknown", release: "4.7.2" });
  s.putState(NODE_STATE_KEY, { dyingHoldIds: false, release: "6.18.0" });
  assert.deepEqual(s.getState(NODE_STATE_KEY), { dyingHoldIds: false, release: "6.18.0" });
  s.close();
});

test("retention: raw for 2 days, 5-minute means to 30 days, hourly after, nothing past 400 days", () => {
  const s = openStore(":memory:");
  const y = (t: number) => 1000 + Math.floor((t - T0) / 60_000);
  fill(s, T0, 40 * DAY, y);
  const now = T0 + 40 * DAY;
  const { moved, dropped } = s.compact(now);
  assert.equal(dropped, 0);
  const rows = s.range(0);
  const tierOf = (n: number) => (n === 1 ? "raw" : n <= 10 ? "5m" : "1h");
  for (const r of rows) {
    const age = now - r.t;
    assert.equal(
      tierOf(r.n),
      age <= 2 * DAY ? "raw" : age < 30 * DAY ? "5m" : "1h",
      `row at age ${age / DAY} d has n=${r.n}`,
    );
  }
  const count = (k: string) => rows.filter((r) => tierOf(r.n) === k).length;
  assert.equal(count("raw"), 2 * 2880);
  assert.ok(Math.abs(count("5m") - 28 * 288) <= 12, `5-minute rows ${count("5m")}`);
  assert.ok(Math.abs(count("1h") - 10 * 24) <= 1, `hourly rows ${count("1h")}`);
  assert.equal(moved, 38 * 2880 + 10 * 288, "38 days of raw rows moved to 5 min, 10 days of those to hourly");
  // A linear series: each mean sits on the line at the row's mean time, each peak at its bucket's end.
  const hour = rows.find((r) => r.n > 10) as (typeof rows)[0];
  assert.equal(hour.n, 120);
  assert.ok(Math.abs(hour.total - y(hour.t)) <= 1, `${hour.total} vs ${y(hour.t)}`);
  assert.equal(hour.totalMax, y(hour.t + 30 * 60_000 - 30_000));
  const h0 = Math.floor(hour.t / 3_600_000) * 3_600_000;
  const walked = Array.from({ length: 12 }, (_, k) => y(h0 + k * 5 * 60_000) - 100);
  assert.equal(
    hour.live,
    Math.round(walked.reduce((a, b) => a + b) / 12),
    "live averages over the walked samples only",
  );
  s.compact(now + 400 * DAY);
  assert.ok(
    s.range(0).every((r) => r.t >= now - 1),
    "everything older than 400 days is gone",
  );
  s.close();
});

test("compaction is idempotent and keeps a reboot inside a bucket as two rows", () => {
  const s = openStore(":memory:");
  s.appendMany([
    sample(T0, 5000),
    sample(T0 + 30_000, 5000),
    sample(T0 + 60_000, 50, true, "boot-b"),
    sample(T0 + 90_000, 60, true, "boot-b"),
  ]);
  s.compact(T0 + 3 * DAY);
  const once = s.range(0);
  s.compact(T0 + 3 * DAY);
  assert.deepEqual(s.range(0), once);
  assert.deepEqual(
    once.map((r) => [r.bootId, r.total, r.n]),
    [
      ["boot-a", 5000, 2],
      ["boot-b", 55, 2],
    ],
  );
  s.close();
});

test("restart resumes: a closed and reopened file has its samples and state; the directory is created", () => {
  const { dir, done } = tmp();
  try {
    const path = join(dir, "var/lib/cgleak/cgleak.db");
    const s = openStore(path);
    fill(s, T0, 3_600_000, (t) => 100 + (t - T0) / 30_000);
    s.putState(NODE_STATE_KEY, { dyingHoldIds: true, release: "3.10.0-1160.el7.x86_64" });
    s.close();
    const again = openStore(path);
    assert.equal(again.range(0).length, 120);
    assert.equal(again.latest()?.total, 100 + 119);
    assert.deepEqual(again.getState(NODE_STATE_KEY), { dyingHoldIds: true, release: "3.10.0-1160.el7.x86_64" });
    again.append(sample(T0 + 3_600_000, 1));
    assert.equal(again.range(0).length, 121);
    again.close();
    const ro = openStore(path, { readonly: true });
    assert.equal(ro.range(0).length, 121);
    ro.close();
  } finally {
    done();
  }
});

test("a corrupt file is a StoreError naming the file, not a crash", () => {
  const { dir, done } = tmp();
  try {
    const path = join(dir, "garbage.db");
    writeFileSync(path, Buffer.alloc(16_384, "cgleak?"));
    assert.throws(
      () => openStore(path),
      (e: unknown) => e instanceof StoreError && e.kind === "corrupt" && e.message.includes(path),
    );
  } finally {
    done();
  }
});

test("a locked file is a StoreError after the busy timeout, not a hang", () => {
  const { dir, done } = tmp();
  try {
    const path = join(dir, "locked.db");
    const other = new Database(path);
    other.exec("CREATE TABLE x (a)");
    other.exec("BEGIN EXCLUSIVE; INSERT INTO x VALUES (1)");
    // It returns at all (the test would hang otherwise): a StoreError after the busy timeout.
    assert.throws(
      () => openStore(path, { busyTimeoutMs: 200 }),
      (e: unknown) => e instanceof StoreError && e.kind === "locked" && e.message.includes(path),
    );
    other.exec("ROLLBACK");
    other.close();
    // In WAL mode readers never block; a second writer holding the write lock fails our append.
    const s = openStore(join(dir, "wal.db"), { busyTimeoutMs: 200 });
    const writer = new Database(join(dir, "wal.db"));
    writer.exec("BEGIN IMMEDIATE");
    assert.throws(
      () => s.append(sample(T0, 1)),
      (e: unknown) => e instanceof StoreError && e.kind === "locked",
    );
    assert.equal(s.range(0).length, 0, "reads still work while another process writes");
    writer.exec("ROLLBACK");
    writer.close();
    s.append(sample(T0, 1));
    s.close();
  } finally {
    done();
  }
});

test("a newer schema or a foreign SQLite file is refused; a missing file cannot be read only", () => {
  const { dir, done } = tmp();
  try {
    const newer = new Database(join(dir, "newer.db"));
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    assert.throws(
      () => openStore(join(dir, "newer.db")),
      (e: unknown) => e instanceof StoreError && e.kind === "schema" && /newer cgleak/.test(e.message),
    );
    const foreign = new Database(join(dir, "foreign.db"));
    foreign.exec("CREATE TABLE t (a)");
    foreign.close();
    assert.throws(() => openStore(join(dir, "foreign.db")), /not cgleak's/);
    assert.throws(
      () => openStore(join(dir, "absent.db"), { readonly: true }),
      (e: unknown) =>
        e instanceof StoreError && e.message.includes(join(dir, "absent.db")) && /does not exist/.test(e.message),
    );
    assert.equal(existsSync(join(dir, "absent.db")), false);
  } finally {
    done();
  }
});

test("SQLITE_FULL and ENOSPC are StoreError 'full'", () => {
  for (const code of ["SQLITE_FULL", "ENOSPC"]) {
    const e = storeError("/x.db", Object.assign(new Error("database or disk is full"), { code }));
    assert.equal(e.kind, "full");
    assert.match(e.message, /^Cannot use the cgleak database \/x\.db: the disk or the database is full/);
  }
});

const root = process.getuid?.() === 0;
test(
  "a really full disk (a 256 KiB tmpfs) fails appends with StoreError 'full', and the store recovers",
  { skip: root ? false : "needs root to mount a tmpfs" },
  () => {
    const { dir, done } = tmp();
    let mounted = false;
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "cgleak-test-full", dir]);
      mounted = true;
      const s = openStore(join(dir, "full.db"));
      let err: unknown;
      try {
        for (let day = 0; day < 30 && !err; day++) fill(s, T0 + day * DAY, DAY, (t) => t % 100_000);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof StoreError && err.kind === "full", String(err));
      const kept = s.range(0).length;
      assert.ok(kept > 0, "what was written is still readable");
      execFileSync("mount", ["-o", "remount,size=8m", dir]);
      s.append(sample(T0 + 400 * DAY, 7));
      assert.equal(s.range(0).length, kept + 1, "space freed: the same store writes again");
      s.close();
    } finally {
      if (mounted) execFileSync("umount", [dir]);
      done();
    }
  },
);

// The full node-year is measured by `npm run bench -- store` (about 20 s).
test("40 days of 30 s samples through hourly compaction: the steady-state tiers in under 1 MB", (t) => {
  yearTest(t, 40);
});

function yearTest(t: { diagnostic: (m: string) => void }, days: number): void {
  const { dir, done } = tmp();
  try {
    const path = join(dir, "year.db");
    const s = openStore(path);
    fill(
      s,
      T0,
      days * DAY,
      (x) => 3000 + Math.round(300 * Math.sin(x / 5e6)) + Math.floor((x - T0) / 900_000),
      3_600_000,
    );
    const rows = s.range(0).length;
    s.close();
    const bytes = statSync(path).size;
    t.diagnostic(`${days} days: ${rows} rows, ${bytes} bytes (${(bytes / rows).toFixed(1)} B/row)`);
    assert.ok(bytes < 1_100_000, `${bytes} bytes`);
    assert.ok(rows <= 2 * 2880 + 28 * 288 + 370 * 24, `${rows} rows`);
  } finally {
    done();
  }
}

test("cgleak forecast's default --db is the store's default path", async () => {
  const { DEFAULT_DB } = await import("../cli/forecast.js");
  const { DEFAULT_DB_PATH } = await import("./store.js");
  assert.equal(DEFAULT_DB, DEFAULT_DB_PATH);
});
