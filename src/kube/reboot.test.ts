import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../scan.js";
import { fixtureRoot } from "../testing/fixtures.js";
import type { ScanReport, Snapshot } from "../analyze/report.js";
import { assess } from "../analyze/assess.js";
import { kernelModel } from "../knowledge/kernel-model.js";
import { rebootVerdict } from "./reboot.js";
import { updateSentinel } from "./sentinel.js";

function scan(name: string): ScanReport {
  return runScan(new Host(fixtureRoot(name)), { thresholds: DEFAULT_THRESHOLDS, deep: "auto", emptyMinAgeMs: 600_000 });
}

/** The same node with some numbers changed, assessed again (the verdict is the assessment's, never recomputed). */
function reassess(r: ScanReport, change: Partial<Snapshot>): ScanReport {
  const { ids: _i, status: _s, findings: _f, assessment: _a, explain, ...snapshot } = r;
  const s = { ...snapshot, ...change };
  return {
    ...assess({ snapshot: s, model: kernelModel(s.kernel.release), boot: null, runtimes: null, logs: null }),
    explain,
  };
}

test("reboot verdict: dying memcgs holding IDs on a never-freeing kernel past the mark need a reboot", () => {
  const r = scan("centos7-v1-near-cap");
  assert.equal(rebootVerdict(r).needed, true);
});

test("reboot verdict: live memcgs alone past the mark do not call for a reboot", () => {
  const r = scan("centos7-v1-near-cap");
  // Same kernel and total, but most memcgs live: deleting pods, not a reboot, frees IDs.
  const live = reassess(r, { memcg: { ...r.memcg, live: 60_000, dying: 5_530 } });
  const v = rebootVerdict(live);
  assert.equal(v.needed, false);
  assert.match(v.why, /delete pods/);
});

test("reboot verdict: a kernel that frees dying memcgs never asks for a reboot, however full", () => {
  const r = scan("run-scope-leak");
  const full = reassess(r, { memcg: { ...r.memcg, live: 300, dying: 65_000, kernelTotal: 65_300 } });
  assert.equal(full.status.level, "warning");
  assert.equal(rebootVerdict(full).needed, false);
  // RHEL 7 with the kmem fix (3.10.0-1075+): dying memcgs hold IDs but reclaim can free them.
  const c = scan("centos7-v1-near-cap");
  const fixed = reassess(c, { kernel: { ...c.kernel, release: "3.10.0-1160.el7.x86_64" } });
  assert.match(rebootVerdict(fixed).why, /reclaim/);
  assert.equal(rebootVerdict(fixed).needed, false);
});

test("sentinel: written while a reboot is needed, removed once it is not", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-sentinel-"));
  try {
    const file = path.join(dir, "reboot-required");
    assert.equal(updateSentinel(file, scan("centos7-v1-near-cap")), true);
    assert.match(fs.readFileSync(file, "utf8"), /dying memcgs hold IDs only a reboot frees/);
    assert.deepEqual(fs.readdirSync(dir), ["reboot-required"], "no temp file left behind");
    assert.equal(updateSentinel(file, scan("hybrid-v1-memory")), false);
    assert.equal(fs.existsSync(file), false);
    assert.equal(updateSentinel(file, scan("hybrid-v1-memory")), false, "removing twice is fine");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
