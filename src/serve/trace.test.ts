import { test } from "node:test";
import assert from "node:assert/strict";
import { Host } from "../host/host.js";
import { fixtureRoot } from "../testing/fixtures.js";
import { openStore } from "../store/store.js";
import { attribute } from "../analyze/attribution.js";
import type { DyingCgroup } from "../analyze/dying-set.js";
import { countByWorkload, dyingDoc, workloadLabels } from "./trace-doc.js";
import { ServeTrace } from "./trace.js";
import { DYING_STATE_KEY, type DyingState } from "../store/dying-state.js";

const UID = "8d3c1f2a-1b2c-4d5e-8f90-123456789abc";
const SYSTEMD_POD = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replace(/-/g, "_")}.slice/cri-containerd-${"a".repeat(64)}.scope`;

test("workload labels are bounded: QoS from both kubepods layouts, system units, anything else", () => {
  assert.deepEqual(workloadLabels(attribute(SYSTEMD_POD)), { qos: "burstable", owner_kind: "pod" });
  assert.deepEqual(workloadLabels(attribute(`/kubepods/besteffort/pod${UID}/${"b".repeat(64)}`)), {
    qos: "besteffort",
    owner_kind: "pod",
  });
  assert.deepEqual(workloadLabels(attribute(`/kubepods/pod${UID}/${"c".repeat(64)}`)), {
    qos: "guaranteed",
    owner_kind: "pod",
  });
  assert.deepEqual(workloadLabels(attribute("/system.slice/run-r0a1b2.scope")), { qos: "none", owner_kind: "system" });
  assert.deepEqual(workloadLabels(attribute("/user.slice/user-0.slice/session-3.scope")), {
    qos: "none",
    owner_kind: "system",
  });
  assert.deepEqual(workloadLabels(attribute("/docker/" + "d".repeat(64))), { qos: "none", owner_kind: "other" });
  // 500 different pods still make at most one series per (qos, owner_kind).
  const many: DyingCgroup[] = Array.from({ length: 500 }, (_, i) =>
    cg(i, `/kubepods/burstable/pod${UID.slice(0, -4)}${String(i).padStart(4, "0")}/x${"e".repeat(63)}`, 0),
  );
  assert.deepEqual(countByWorkload(many), [{ qos: "burstable", owner_kind: "pod", count: 500 }]);
});

test("/api/dying: groups with ages, the leak rate per workload over the window, and 'dying since before tracing' = kernel - named", () => {
  const now = 10 * 3_600_000;
  const since = now - 2 * 3_600_000; // two hours of tracing
  const cgroups = [
    ...Array.from({ length: 8 }, (_, i) => cg(i, `/kubepods/burstable/pod${UID}/c${i}`, now - (i + 1) * 600_000)),
    cg(100, "/system.slice/cron.service", now - 30_000),
  ];
  const d = dyingDoc({
    cgroups,
    nowMs: now,
    sinceMs: since,
    hierarchy: 4,
    kernelDying: 20,
    releasedUnnamed: 3,
    lostEvents: 0,
    lastLossAt: null,
    unconfirmed: 0,
  }) as any;
  assert.equal(d.named, 9);
  assert.equal(d.dyingSinceBeforeTracing, 11);
  assert.equal(d.rateWindowSeconds, 7200);
  const pod = d.groups[0];
  assert.equal(pod.workload, `pod ${UID} (burstable)`);
  assert.deepEqual([pod.count, pod.oldestAgeSeconds, pod.newestAgeSeconds, pod.leakRatePerHour], [8, 4800, 600, 4]);
  assert.deepEqual(
    d.topOffenders.map((t: any) => [t.workload, t.leakRatePerHour]),
    [
      [`pod ${UID} (burstable)`, 4],
      ["/system.slice/cron.service", 0.5],
    ],
  );
  const over = dyingDoc({
    cgroups,
    nowMs: now,
    sinceMs: since,
    hierarchy: 4,
    kernelDying: 5,
    releasedUnnamed: 0,
    lostEvents: 7,
    lastLossAt: now,
    unconfirmed: 9,
  }) as any;
  assert.equal(over.dyingSinceBeforeTracing, null, "more named than the kernel counts: unknown, never negative");
  const young = dyingDoc({
    cgroups,
    nowMs: now,
    sinceMs: now - 60_000,
    hierarchy: 4,
    kernelDying: 20,
    releasedUnnamed: 0,
    lostEvents: 0,
    lastLossAt: null,
    unconfirmed: 0,
  }) as any;
  assert.equal(young.groups[0].leakRatePerHour, null, "one minute of tracing gives no per-hour rate");
});

test("ServeTrace: the stored set comes back after a restart; a walk drops the oldest unconfirmed names the kernel no longer counts", () => {
  const store = openStore(":memory:");
  const logs: string[] = [];
  const make = (bootId: string): ServeTrace =>
    new ServeTrace({
      host: new Host(fixtureRoot("hybrid-v1-memory")),
      store: () => store,
      runStore: (fn) => fn(),
      bootId,
      log: (l) => logs.push(l),
      onReleased: () => {},
    });
  try {
    const first = make("boot-a");
    const root = first.tracer.set.root;
    const entries = [cg(1, "/a/old", 1000, root), cg(2, "/a/mid", 2000, root), cg(3, "/a/new", 3000, root)];
    store.putState(DYING_STATE_KEY, {
      bootId: "boot-a",
      root,
      sinceMs: 500,
      savedAt: 4000,
      entries,
    } satisfies DyingState);
    first.restore();
    assert.deepEqual(
      first.tracer.dyingSet().map((c) => c.path),
      ["/a/old", "/a/mid", "/a/new"],
    );
    assert.equal(first.sinceMs, 500, "tracing time is counted from the first run of this boot");
    first.afterTick(2, true, 5000); // the kernel counts 2 dying: one of the restored was released unseen
    assert.deepEqual(
      first.tracer.dyingSet().map((c) => c.path),
      ["/a/mid", "/a/new"],
    );
    assert.match(logs.join("\n"), /resync: 1 named memcgs released unseen/);
    const saved = store.getState(DYING_STATE_KEY) as DyingState;
    assert.deepEqual(
      saved.entries.map((c) => c.path),
      ["/a/mid", "/a/new"],
      "the resynced set is what the store keeps",
    );
    first.afterTick(0, true, 6000); // confirmed now: a later shortfall names no victim
    assert.equal(first.tracer.dyingSet().length, 2);
    const rebooted = make("boot-b");
    rebooted.restore();
    assert.equal(rebooted.tracer.dyingSet().length, 0, "another boot: a reboot freed them all");
    assert.match(logs.join("\n"), /2 stored dying memcgs dropped: the node rebooted/);
  } finally {
    store.close();
  }
});

function cg(id: number, path: string, rmdirAt: number, root = 4): DyingCgroup {
  return { root, id, level: path.split("/").length - 1, path, rmdirAt };
}
