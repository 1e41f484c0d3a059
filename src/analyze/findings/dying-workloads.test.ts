import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Host } from "../../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../../scan.js";
import { kernelModel } from "../../knowledge/kernel-model.js";
import { fixtureRoot, runCli } from "../../testing/fixtures.js";
import type { DyingCgroup } from "../dying-set.js";
import { diagnose } from "../diagnose.js";
import { dyingWorkloadsFinding, type NamedDying } from "./dying-workloads.js";

const JOB_UID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const SCAN = runScan(new Host(fixtureRoot("hybrid-v1-memory")), {
  thresholds: DEFAULT_THRESHOLDS,
  deep: "auto",
  emptyMinAgeMs: 0,
});
const { findings: _f, explain: _e, ...REPORT } = SCAN;
const MODEL = kernelModel(SCAN.kernel.release, undefined);

/** n memcgs of n pods (systemd layout, UIDs with underscores), plus m under a systemd unit. */
function set(pods: number, unit: number): DyingCgroup[] {
  const uid = (i: number): string => `${JOB_UID.slice(0, -4)}${String(i).padStart(4, "0")}`;
  return [
    ...Array.from({ length: pods }, (_, i) =>
      cg(
        i,
        `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid(i).replace(/-/g, "_")}.slice/cri-containerd-${"a".repeat(64)}.scope`,
      ),
    ),
    ...Array.from({ length: unit }, (_, i) => cg(10_000 + i, `/system.slice/cron.service/run-${i}`)),
  ];
}
function cg(id: number, p: string): DyingCgroup {
  return { root: 4, id, level: p.split("/").length - 1, path: p, rmdirAt: 1_700_000_000_000 + id };
}
const named = (entries: DyingCgroup[], pods: NamedDying["pods"] = {}): NamedDying => ({
  entries,
  pods,
  savedAt: 1_700_000_100_000,
  from: "test.db",
});
const run = (d: NamedDying | null) =>
  dyingWorkloadsFinding({ report: REPORT, model: MODEL, runtimes: null, logs: null, dying: d });

test("dying-workloads: pods named by --kube are grouped by their Job; a large majority group is a warning", () => {
  const entries = set(150, 40);
  const pods = Object.fromEntries(
    entries
      .slice(0, 150)
      .map((c, i) => [
        `${JOB_UID.slice(0, -4)}${String(i).padStart(4, "0")}`,
        { namespace: "batch", name: `nightly-export-${i}`, ownerKind: "Job", ownerName: "nightly-export" },
      ]),
  );
  const f = run(named(entries, pods))!;
  assert.equal(f.id, "dying-workloads");
  assert.equal(f.severity, "warning", "150 of 190: over half, and over 100");
  assert.match(
    f.title,
    /^150 dying memcgs come from Job batch\/nightly-export \(its pods run, write to the node's disk and exit/,
  );
  assert.match(f.evidence.map((e) => e.value).join("\n"), /40 from systemd unit cron\.service/);
  const fewer = run(named(set(99, 0), {}))!;
  assert.equal(fewer.severity, "info", "99 is under the count that makes it a warning");
});

test("dying-workloads: without --kube, pods group by QoS class with their UIDs; a minority group stays info; nothing traced, no finding", () => {
  const f = run(named(set(120, 130)))!;
  assert.match(f.title, /^130 dying memcgs come from systemd unit cron\.service$/);
  assert.equal(f.severity, "warning");
  const pods = run(named(set(120, 0)))!;
  assert.match(
    pods.title,
    /^120 dying memcgs come from kubepods\/burstable pods \(pod UIDs aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeee0000, .* and 117 more; cgleak serve --trace --kube names them\)/,
  );
  assert.equal(run(named(set(119, 121)))?.severity, "warning", "121 of 240: just over half");
  const split = run(
    named([...set(100, 0), ...set(0, 101).map((c, i) => ({ ...c, path: `/machine.slice/vm-${i % 2}.scope/x` }))]),
  )!;
  assert.equal(split.severity, "info", "the top group holds under half of the dying");
  assert.equal(run(null), null);
  assert.equal(run(named([])), null);
  assert.ok(
    diagnose({ report: REPORT, model: MODEL, runtimes: null, logs: null, dying: named(set(3, 0)) }).some(
      (x) => x.id === "dying-workloads",
    ),
  );
});

test("explain --db: reads the dying set serve --trace stored, and says 'not traced' when there is none", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-explain-"));
  try {
    const db = path.join(dir, "cgleak.db");
    const none = runCli(["explain", "--db", db, "--host-root", fixtureRoot("hybrid-v1-memory"), "--no-logs", "--json"]);
    assert.equal(none.status, 0, none.stderr);
    assert.match(JSON.parse(none.stdout).explain.trace, /^not traced: run cgleak serve --trace/);
    const { openStore } = await import("../../store/store.js");
    const { DYING_STATE_KEY } = await import("../../store/dying-state.js");
    const store = openStore(db);
    const empty = runCli([
      "explain",
      "--db",
      db,
      "--host-root",
      fixtureRoot("hybrid-v1-memory"),
      "--no-logs",
      "--json",
    ]);
    assert.match(JSON.parse(empty.stdout).explain.trace, /holds no dying set/);
    const entries = set(5, 0);
    const uid = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeee0000";
    // bootId "unknown": what the fixture host (which has no boot_id) reads as its boot.
    store.putState(DYING_STATE_KEY, {
      bootId: "unknown",
      root: 4,
      sinceMs: 0,
      savedAt: 1_700_000_100_000,
      entries,
      pods: { [uid]: { namespace: "batch", name: "x", ownerKind: "Job", ownerName: "nightly-export" } },
    });
    store.close();
    const r = runCli(["explain", "--db", db, "--host-root", fixtureRoot("hybrid-v1-memory"), "--no-logs", "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const f = out.findings.find((x: { id: string }) => x.id === "dying-workloads");
    assert.match(f.title, /^4 dying memcgs come from kubepods\/burstable pods/);
    assert.match(f.evidence.map((e: { value: string }) => e.value).join("\n"), /1 from Job batch\/nightly-export/);
    assert.match(out.explain.trace, /^5 dying memcgs named by cgleak serve --trace/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
