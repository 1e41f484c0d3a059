import { test } from "node:test";
import assert from "node:assert/strict";
import { Host } from "../../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../../scan.js";
import { fixtureRoot } from "../../testing/fixtures.js";
import { kernelModel } from "../../knowledge/kernel-model.js";
import type { ControllerFacts } from "../../collect/controllers.js";
import type { ControllersBefore } from "../report.js";
import { DYING_CSS_GROWTH, NOTABLE_DYING_CSS, dyingControllersFinding } from "./dying-controllers.js";

const base = runScan(new Host(fixtureRoot("hybrid-v1-memory")), {
  thresholds: DEFAULT_THRESHOLDS,
  deep: "auto",
  emptyMinAgeMs: 0,
});

const ctl = (name: string, dying: number): ControllerFacts => ({
  name,
  version: 1,
  mountPoint: `/sys/fs/cgroup/${name}`,
  sharedWith: [],
  kernelTotal: 50 + dying,
  live: 50,
  dying,
  source: "/proc/cgroups",
});

function finding(controllers: ControllerFacts[], before: ControllersBefore | null) {
  const report = { ...base, controllers, controllersBefore: before };
  return dyingControllersFinding({ report, model: kernelModel(base.kernel.release), runtimes: null, logs: null });
}

test("dying-controllers: a level at or past NOTABLE_DYING_CSS is a warning; memory never counts here", () => {
  assert.equal(finding([ctl("pids", NOTABLE_DYING_CSS - 1), ctl("memory", 5000)], null), null);
  const f = finding([ctl("pids", NOTABLE_DYING_CSS)], null);
  assert.equal(f?.severity, "warning");
  assert.match(f?.title ?? "", /^100 dying pids: /);
});

test("dying-controllers: growth since the previous walk fires far below the level, and says from what", () => {
  const at = Date.UTC(2026, 11, 3, 1, 0, 0);
  const before = { atMs: at, dying: { cpu: 3, pids: 3 } };
  const f = finding([ctl("cpu", 3 + DYING_CSS_GROWTH), ctl("pids", 3 + DYING_CSS_GROWTH - 1)], before);
  assert.ok(f !== null);
  assert.match(f.title, /^23 dying cpu \(up from 3\): /);
  assert.doesNotMatch(f.title, /pids/, "pids grew by less than DYING_CSS_GROWTH: in-flight frees explain it");
  assert.match(f.evidence[0]?.value ?? "", /3 dying at the previous walk \(the walk at 2026-12-03T01:00:00.000Z\)/);
});

test("dying-controllers: a count that fell, or a controller the previous walk did not read, is no growth", () => {
  assert.equal(finding([ctl("cpu", 30)], { atMs: 0, dying: { cpu: 60 } }), null);
  assert.equal(finding([ctl("cpu", 30)], { atMs: 0, dying: {} }), null);
});
