import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { parsePressure } from "../parsers/pressure.js";
import { DEFAULT_POLICY } from "./reap-policy.js";
import { pressureVeto, readPressure } from "./reap-guards.js";
import { LimitJournal } from "./reap-state.js";
import { relUnder } from "./reap-run.js";
import { findTargets } from "./reap-targets.js";
import type { CgroupHierarchy } from "../collect/mounts.js";

function tempRoot(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-reap-"));
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  }
  return root;
}

const PSI = (avg10: string) =>
  `some avg10=${avg10} avg60=0.50 avg300=0.10 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n`;

test("PSI files parse, and pressure above the policy's thresholds vetoes the pass", () => {
  assert.deepEqual(parsePressure(PSI("1.23"), "/proc/pressure/io").some, {
    avg10: 1.23,
    avg60: 0.5,
    avg300: 0.1,
    total: 123456,
  });
  assert.throws(() => parsePressure("some avg10=x\n", "/proc/pressure/io"), /\/proc\/pressure\/io line 1/);
  const root = tempRoot({ "proc/pressure/memory": PSI("12.00"), "proc/pressure/io": PSI("3.00") });
  try {
    const p = readPressure(new Host(root));
    assert.deepEqual(p, { memory: 12, io: 3 });
    assert.match(pressureVeto(p, DEFAULT_POLICY) ?? "", /memory pressure: .*avg10=12 > 10/);
    assert.equal(pressureVeto({ memory: 2, io: 3 }, DEFAULT_POLICY), null);
    assert.equal(pressureVeto({ memory: null, io: null }, DEFAULT_POLICY), null, "no PSI on this kernel: no veto");
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("the journal puts back a limit a killed reaper left, and forgets it", async () => {
  const root = tempRoot({ knob: "1048576" });
  try {
    const j = new LimitJournal(path.join(root, "state", "reap.json"));
    j.save({ file: path.join(root, "knob"), original: "9223372036854771712", pid: 42, at: "2026-01-01T00:00:00Z" });
    j.save({ file: path.join(root, "gone"), original: "1", pid: 42, at: "2026-01-01T00:00:00Z" });
    const done = await new LimitJournal(j.file).restoreAll(5000);
    assert.equal(fs.readFileSync(path.join(root, "knob"), "utf8"), "9223372036854771712");
    assert.match(done.join("\n"), /knob: restored to 9223372036854771712 \(left by pid 42/);
    assert.match(done.join("\n"), /gone: gone, nothing to restore/);
    assert.equal(fs.existsSync(j.file), false);
    fs.writeFileSync(j.file, "{oops");
    assert.throws(() => j.entries(), /not the reaper's state/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("--under takes a path below the mount or relative to it, never one that climbs out", () => {
  assert.equal(relUnder("/sys/fs/cgroup/memory/kubepods/", "/sys/fs/cgroup/memory"), "kubepods");
  assert.equal(relUnder("kubepods/burstable", "/sys/fs/cgroup/memory"), "kubepods/burstable");
  assert.equal(relUnder("", "/sys/fs/cgroup/memory"), "");
  assert.equal(relUnder("kubepods/../process_api", "/sys/fs/cgroup/memory"), null);
});

test("targets are the live parents whose own dying children pin pages, however deep; shmem is set apart", () => {
  const M = "sys/fs/cgroup/memory";
  const stat = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join("\n") + "\n";
  const root = tempRoot({
    [`${M}/memory.stat`]: stat({ cache: 1000, total_cache: 1000 + 9_000_000, shmem: 0, total_shmem: 2_000_000 }),
    // kubepods: nothing dying directly below; its pod holds 8 MB of pins (2 MB shmem) below a live container
    [`${M}/kubepods/memory.stat`]: stat({
      cache: 0,
      total_cache: 9_000_000,
      shmem: 0,
      total_shmem: 2_000_000,
      total_workingset_refault_file: 0,
    }),
    [`${M}/kubepods/pod1/memory.stat`]: stat({
      cache: 0,
      total_cache: 9_000_000,
      shmem: 0,
      total_shmem: 2_000_000,
      total_workingset_refault_file: 5,
    }),
    [`${M}/kubepods/pod1/c1/memory.stat`]: stat({
      cache: 1_000_000,
      total_cache: 1_000_000,
      shmem: 0,
      total_shmem: 0,
      total_workingset_refault_file: 7,
    }),
  });
  try {
    const h: CgroupHierarchy = { version: 1, mountPoint: "/sys/fs/cgroup/memory", controllers: ["memory"], root: "/" };
    const t = findTargets(new Host(root), h, 1_000_000);
    assert.deepEqual(
      t.map((x) => [x.rel, x.pinnedBytes, x.shmemBytes, x.liveCacheBytes, x.liveRefaults]),
      [["kubepods/pod1", 8_000_000, 2_000_000, 1_000_000, 7]],
    );
    assert.deepEqual(
      findTargets(new Host(root), h, 1_000_000, "kubepods/pod1/c1"),
      [],
      "--under a leaf: nothing below it",
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
