import { test } from "node:test";
import assert from "node:assert/strict";
import { Host } from "../../host/host.js";
import { runScan, DEFAULT_THRESHOLDS, type ScanOptions } from "../../scan.js";
import { fixtureRoot } from "../../testing/fixtures.js";
import { kernelModel } from "../../knowledge/kernel-model.js";
import { swapIdsFinding } from "./swap-ids.js";

const OPTS: ScanOptions = { thresholds: { ...DEFAULT_THRESHOLDS, dyingWarn: 10 }, deep: "auto", emptyMinAgeMs: 0 };

function input(swapTotalBytes: number | null) {
  const report = runScan(new Host(fixtureRoot("v2-debian-6.12-kubepods")), OPTS);
  const withSwap = { ...report, meminfo: { ...report.meminfo, swapTotalBytes } };
  return { report: withSwap, model: kernelModel(report.kernel.release), runtimes: null, logs: null };
}

test("swap on with dying memcgs: they can hold IDs, and deleting the tmpfs files frees them", () => {
  const f = swapIdsFinding(input(1 << 30));
  assert.ok(f !== null);
  assert.equal(f.id, "swap-ids");
  assert.equal(f.severity, "info"); // far below the warn ratio
  assert.match(
    f.title,
    /^swap is on and 19 dying memcgs are present: those whose pages were swapped out keep their memcg ID/,
  );
  assert.match(f.fix[0]!, /Delete the tmpfs\/emptyDir and shmem files/);
  assert.match(f.fix[1]!, /swap-in charges the page to a live memcg/);
});

test("no swap: no finding (dying memcgs free their ID at removal)", () => {
  assert.equal(swapIdsFinding(input(0)), null);
  assert.equal(swapIdsFinding(input(null)), null);
});
