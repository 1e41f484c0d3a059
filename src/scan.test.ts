import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Host } from "./host/host.js";
import { runScan, DEFAULT_THRESHOLDS, type ScanOptions } from "./scan.js";
import { copyFixture, fixtureRoot, runCli } from "./testing/fixtures.js";

const OPTS: ScanOptions = { thresholds: DEFAULT_THRESHOLDS, deep: "auto", emptyMinAgeMs: 0 };
const scan = (name: string, o: Partial<ScanOptions> = {}) => runScan(new Host(fixtureRoot(name)), { ...OPTS, ...o });

test("scan of a CentOS 7 node near the cap: 61 directories, 65,530 memcgs, CRITICAL", () => {
  const r = scan("centos7-v1-near-cap");
  assert.equal(r.memcg.live, 61);
  assert.equal(r.memcg.kernelTotal, 65530);
  assert.equal(r.memcg.dying, 65530 - 61);
  assert.equal(r.ids.dyingHoldIds, true);
  assert.equal(r.ids.usedHigh, 65530);
  assert.equal(r.ids.headroom, 5);
  assert.equal(r.status.level, "critical");
  assert.match(r.status.sentence, /65,530 of 65,535 memory cgroup IDs/);
});

test("scan reads kmem on a 3.10 kernel however large the tree: 39 of 60 memcgs have it on", () => {
  const r = scan("centos7-v1-near-cap");
  assert.ok(r.kmem.checked);
  assert.equal(r.kmem.on, 39);
  assert.equal(r.kmem.of, 60);
});

test("scan attributes v1 pins per subtree: parent total_cache minus its own and its live children's", () => {
  const r = scan("hybrid-v1-memory");
  const byPath = Object.fromEntries(r.subtrees.map((s) => [s.path, s.pinnedBytes]));
  assert.equal(byPath["workload"], 3 * 1048576);
  assert.equal(byPath["/"], 1048576);
  assert.equal(r.dying.pinnedBytes, 4 * 1048576);
  assert.equal(r.cgroup.mode, "hybrid");
});

test("scan of a real v2 6.12 node (qemu capture) uses nr_subsys_memory and nr_dying_subsys_memory", () => {
  const r = scan("v2-debian-6.12-kubepods");
  assert.equal(r.cgroup.memoryVersion, 2);
  assert.deepEqual([r.memcg.live, r.memcg.dying, r.memcg.kernelTotal], [32, 19, 51]);
  assert.equal(r.memcg.totalSource, "cgroup.stat nr_subsys_memory + nr_dying_subsys_memory");
  assert.equal(r.ids.usedHigh, 32, "dying memcgs hold no ID on 6.12 without swap");
  const kp = r.subtrees.find((s) => s.path === "kubepods.slice");
  assert.deepEqual([kp?.live, kp?.dying, kp?.pinnedBytes], [25, 19, 13 * 65536]);
});

test("scan of a real v2 6.1 node (qemu capture) falls back to nr_dying_descendants", () => {
  const r = scan("v2-debian-6.1-kubepods");
  assert.deepEqual([r.memcg.live, r.memcg.dying], [32, 19]);
  assert.match(r.memcg.dyingSource, /nr_dying_descendants/);
  assert.equal(r.memcg.kernelTotal, 51);
});

test("scan names the largest group of leaked empty cgroups: 300 system.slice/run-*.scope", () => {
  const r = scan("run-scope-leak");
  assert.ok(r.empty.checked);
  assert.equal(r.empty.count, 300);
  assert.deepEqual(r.empty.groups[0], { shape: "system.slice/run-*.scope", count: 300 });
});

test("scan counts only empty cgroups older than --empty-min-age", () => {
  const dir = copyFixture("run-scope-leak");
  try {
    const slice = path.join(dir, "sys/fs/cgroup/memory/system.slice");
    const old = new Date(Date.now() - 3_600_000);
    const scopes = fs
      .readdirSync(slice)
      .filter((n) => n.startsWith("run-"))
      .slice(0, 120);
    for (const n of scopes) fs.utimesSync(path.join(slice, n), old, old);
    const r = runScan(new Host(dir), { ...OPTS, emptyMinAgeMs: 600_000 });
    assert.ok(r.empty.checked);
    assert.equal(r.empty.count, 120);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("scan from a container: the host under /host, PID 1 hidden, self's mountinfo used", () => {
  const r = scan("container-view/host");
  assert.equal(r.cgroup.mountinfo, "/proc/self/mountinfo");
  assert.equal(r.memcg.live, 30);
  assert.equal(r.memcg.dying, 10);
});

test("CLI: --host-root and CGLEAK_HOST_ROOT give the same JSON numbers", () => {
  const a = JSON.parse(runCli(["scan", "--json", "--host-root", fixtureRoot("centos7-v1-near-cap")]).stdout);
  const b = JSON.parse(runCli(["scan", "--json"], { CGLEAK_HOST_ROOT: fixtureRoot("centos7-v1-near-cap") }).stdout);
  assert.equal(a.schema, "cgleak.scan/v1");
  assert.deepEqual([a.memcg.live, a.memcg.dying], [b.memcg.live, b.memcg.dying]);
});

test("CLI: exit 0 on a critical node, 3 with --fail-on critical, 2 on a usage error", () => {
  const root = fixtureRoot("centos7-v1-near-cap");
  assert.equal(runCli(["scan", "--host-root", root]).status, 0);
  assert.equal(runCli(["scan", "--host-root", root, "--fail-on", "critical"]).status, 3);
  assert.equal(runCli(["scan", "--host-root", fixtureRoot("hybrid-v1-memory"), "--fail-on", "warning"]).status, 0);
  const bad = runCli(["scan", "--warn", "7"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--warn <ratio>' argument '7' is invalid/);
});

test("CLI: a host without the memory controller says so plainly and exits 1", () => {
  const r = runCli(["scan", "--host-root", fixtureRoot("no-memory-controller")]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^cgleak: This host has no memory cgroup controller/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
});
