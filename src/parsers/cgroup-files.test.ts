import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseCgroupStat } from "./cgroup-stat.js";
import { parseCgroupEvents } from "./cgroup-events.js";
import { parseMemoryStat, pickMemoryStat } from "./memory-stat.js";
import { parseSingleValue } from "./single-value.js";
import { parseMeminfo } from "./meminfo.js";
import { parseOsRelease } from "./osrelease.js";
import { TESTDATA } from "../testing/fixtures.js";

const captures = fileURLToPath(new URL("../../../shared/lab-captures/", import.meta.url));
const capture = (f: string): string | undefined => {
  const p = path.join(captures, f);
  return fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined;
};

test("parseCgroupStat() reads 6.1's cgroup.stat, which has no per-controller lines", () => {
  const st = parseCgroupStat("nr_descendants 100\nnr_dying_descendants 100\n", "cgroup.stat");
  assert.deepEqual(st, { nrDescendants: 100, nrDyingDescendants: 100, subsys: new Map() });
});

test("parseCgroupStat() reads every controller's nr_subsys_<ss> and nr_dying_subsys_<ss> (6.12+)", () => {
  const st = parseCgroupStat(
    "nr_descendants 3\nnr_subsys_cpu 4\nnr_subsys_io 2\nnr_dying_descendants 5\nnr_dying_subsys_cpu 5\nnr_dying_subsys_io 0\n",
    "cgroup.stat",
  );
  assert.deepEqual(
    [...st.subsys],
    [
      ["cpu", { live: 4, dying: 5 }],
      ["io", { live: 2, dying: 0 }],
    ],
  );
});

test("parseCgroupStat() reads 6.12's nr_subsys_memory and nr_dying_subsys_memory (qemu lab capture)", () => {
  const text =
    capture("v2-debian-6.12.117/root-cgroup.stat.end") ??
    fs.readFileSync(path.join(TESTDATA, "hosts/v2-debian-6.12-kubepods/sys/fs/cgroup/cgroup.stat"), "utf8");
  const st = parseCgroupStat(text, "cgroup.stat");
  assert.equal(st.nrSubsysMemory! + st.nrDyingSubsysMemory!, st.nrDescendants + 1 + st.nrDyingDescendants);
});

test("parseCgroupStat() names the missing key", () => {
  assert.throws(() => parseCgroupStat("nr_descendants 1\n", "/sys/fs/cgroup/cgroup.stat"), {
    message: 'Cannot parse /sys/fs/cgroup/cgroup.stat: expected a "nr_dying_descendants" line, found none',
  });
});

test("parseCgroupEvents() reads populated and frozen", () => {
  assert.deepEqual(parseCgroupEvents("populated 0\nfrozen 0\n", "cgroup.events"), { populated: false, frozen: false });
  assert.deepEqual(parseCgroupEvents("populated 1\n", "cgroup.events"), { populated: true });
});

test("parseMemoryStat() reads a v2 memory.stat verbatim (qemu lab, 6.1)", () => {
  const text = capture("v2-debian-6.1.0-56/c200-memory.stat") ?? "file 131072\nshmem 65536\n";
  const st = parseMemoryStat(text, "memory.stat");
  assert.equal(st.get("file"), 131072);
  assert.equal(st.get("shmem"), 65536);
});

test("parseMemoryStat() rejects a value that is not a number", () => {
  assert.throws(
    () => parseMemoryStat("cache 12\nrss 1.5\n", "memory.stat"),
    /memory.stat line 2: expected a whole number for rss/,
  );
});

test("parseSingleValue() reads usage, the v1 'unlimited' limit and v2 'max'", () => {
  assert.equal(parseSingleValue("20946944\n", "memory.kmem.usage_in_bytes"), 20946944);
  assert.ok(parseSingleValue("9223372036854771712\n", "memory.kmem.limit_in_bytes") > 2 ** 62);
  assert.equal(parseSingleValue("max\n", "memory.max"), Infinity);
  assert.throws(
    () => parseSingleValue("", "memory.current"),
    /memory.current line 1: expected one value, found 0 lines/,
  );
});

test("parseMeminfo() reads Percpu and SUnreclaim in bytes", () => {
  const m = parseMeminfo(
    "MemTotal:       24683620 kB\nSUnreclaim:        25296 kB\nPercpu:              688 kB\nHugePages_Total:       0\n",
  );
  assert.equal(m.get("SUnreclaim"), 25296 * 1024);
  assert.equal(m.get("Percpu"), 688 * 1024);
  assert.equal(m.get("HugePages_Total"), 0);
});

test("parseMeminfo() rejects a line without a value", () => {
  assert.throws(
    () => parseMeminfo("MemTotal: 1 kB\nPercpu: kB\n"),
    /\/proc\/meminfo line 2: expected "Name: value \[kB\]"/,
  );
});

test("parseOsRelease() takes the release and rejects an empty file", () => {
  assert.equal(parseOsRelease("6.18.44-fc-v782\n"), "6.18.44-fc-v782");
  assert.throws(() => parseOsRelease("\n"), /osrelease line 1: expected one kernel release string/);
});

test("pickMemoryStat() finds the same values as parseMemoryStat() for the keys asked, and names a bad line", () => {
  const text =
    "cache 12783616\nrss 8155136\nshmem 9580544\ntotal_cache 1077006336\ntotal_rss 529973248\ntotal_shmem 9666560\ntotal_swap 0\n";
  const keys = new Set(["cache", "shmem", "total_cache", "total_shmem", "total_swap", "swap"]);
  const all = parseMemoryStat(text, "memory.stat");
  assert.deepEqual(pickMemoryStat(text, "memory.stat", keys), new Map([...all].filter(([k]) => keys.has(k))));
  assert.throws(() => pickMemoryStat("cache 1\nshmem x\n", "/m/memory.stat", keys), /\/m\/memory.stat.*line 2/);
});
