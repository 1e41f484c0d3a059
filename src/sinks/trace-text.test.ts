import { test } from "node:test";
import * as assert from "node:assert/strict";
import { DyingSet } from "../analyze/dying-set.js";
import { traceReport, renderTraceText } from "./trace-text.js";
import { formatAge as age } from "../analyze/format.js";

/** A cgroup_rmdir tracepoint event on hierarchy `root` at depth `level`; each apply adds its id and path. */
const rmdirOn = (root: number, level: number) =>
  ({ kind: "cgroup", event: "cgroup_rmdir", task: "rmdir", pid: 1, cpu: 0, ts: 0, root, level }) as const;

test("ages read as 0.4s, 12s, 3m05s, 2h01m", () => {
  assert.deepEqual([age(0.4), age(12.3), age(185), age(7260)], ["0.4s", "12s", "3m05s", "2h01m"]);
});

test("the text report groups by workload and warns about lost events and the unnamed rest", () => {
  const set = new DyingSet(4);
  const ev = rmdirOn(4, 2);
  set.apply({ ...ev, id: 7, path: "/system.slice/x.service" }, 1_000);
  set.markLost(12, 5_000);
  const r = traceReport(set, 0, 61_000, 10);
  assert.equal(r.dyingBeforeTracing, 9);
  const text = renderTraceText(r);
  assert.match(text, /tracing for 1m01s, memory hierarchy 4\n/);
  assert.match(text, /dying memcgs named: 1 {3}dying since before tracing: 9 /);
  assert.match(text, /WARNING: the kernel dropped 12 trace events/);
  assert.match(
    text,
    /\/system\.slice\/x\.service +1 +1m00s +1m00s\n {2}\/system\.slice\/x\.service {2}\(id 7, dying 1m00s\)/,
  );
});

test("--kube: pods named by their owner in both kubepods layouts (systemd UIDs with underscores), unknown pods by path, and the note says where names come from", async () => {
  const { PodNames } = await import("../kube/pod-cache.js");
  const names = new PodNames();
  const u1 = "11111111-2222-4333-8444-555555555555";
  const u2 = "66666666-7777-4888-9999-aaaaaaaaaaaa";
  const u3 = "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff";
  for (const [uid, name] of [
    [u1, "web-5d9c7b6f8-a"],
    [u2, "web-5d9c7b6f8-b"],
  ] as const) {
    names.seen({
      metadata: {
        uid,
        namespace: "shop",
        name,
        ownerReferences: [{ kind: "ReplicaSet", name: "web-5d9c7b6f8", controller: true }],
      },
    });
  }
  names.deleted({ metadata: { uid: u2 } });
  const set = new DyingSet(4);
  const ev = rmdirOn(4, 4);
  set.apply({ ...ev, id: 1, path: `/kubepods/burstable/pod${u1}/${"a".repeat(64)}` }, 1_000);
  set.apply(
    {
      ...ev,
      id: 2,
      path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${u2.replace(/-/g, "_")}.slice/cri-containerd-${"b".repeat(64)}.scope`,
    },
    2_000,
  );
  set.apply({ ...ev, id: 3, path: `/kubepods/burstable/pod${u3}/${"c".repeat(64)}` }, 3_000);
  const away = {
    names,
    status: { state: "away" as const, error: "connect ECONNREFUSED" },
    start: async () => {},
    stop: () => {},
  };
  const r = traceReport(set, 0, 10_000, null, away);
  assert.deepEqual(
    r.groups.map((g) => [g.workload, g.count]),
    [
      ["Deployment shop/web", 2],
      [`pod ${u3} (burstable)`, 1],
    ],
  );
  assert.equal(r.groups[0]?.pod?.ownerName, "web");
  assert.match(
    renderTraceText(r),
    /API server is away \(connect ECONNREFUSED\): pods not seen before are named from their paths only/,
  );
  assert.match(traceReport(set, 0, 10_000, null).podNames, /not asked/);
});
