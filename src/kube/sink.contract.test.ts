import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../scan.js";
import { fixtureRoot } from "../testing/fixtures.js";
import type { ScanReport } from "../analyze/report.js";
import { createKubeSink } from "./client.js";
import { FakeApiServer, type Seen } from "../testing/fake-apiserver.js";
import { CONDITION_TYPE, TAINT_KEY } from "./condition.js";
import type { KubeSink } from "./sink.js";
import { kubeClientSkip, loopbackKubeConfig } from "../testing/kube-client.js";

// @kubernetes/client-node 2.x pulls undici 8, which needs Node >= 22.19: on Node 20 it cannot load.
// Probed in a child: a failed import here leaves a stray rejection that fails the whole file.
const skip = kubeClientSkip();
const NODE = "worker-7";
const OTHER_TAINT = { key: "dedicated", value: "gpu", effect: "NoSchedule" };
const scan = (name: string): ScanReport =>
  runScan(new Host(fixtureRoot(name)), { thresholds: DEFAULT_THRESHOLDS, deep: "auto", emptyMinAgeMs: 600_000 });
const CRITICAL = scan("centos7-v1-near-cap");
const HEALTHY = scan("hybrid-v1-memory");

async function sinkFor(
  port: number,
  extra: { log?: (l: string) => void; backoff?: { initialMs: number; maxMs: number } } = {},
): Promise<KubeSink> {
  return createKubeSink({ nodeName: NODE, taintAt: "critical", config: await loopbackKubeConfig(port), ...extra });
}

const calls = (seen: Seen[]): string[] => seen.map((s) => `${s.method} ${s.path}`);
const ours = (api: FakeApiServer) => api.node.status.conditions.find((c) => c.type === CONDITION_TYPE);

test(
  "contract: a critical node gets its condition (strategic merge), one Warning event and the NoSchedule taint (JSON patch)",
  { skip },
  async () => {
    const api = new FakeApiServer(NODE, [OTHER_TAINT]);
    const sink = await sinkFor(await api.listen());
    try {
      sink.update(CRITICAL, { secondsToCap: 5400 });
      await within(sink.idle());
      const base = `/api/v1/nodes/${NODE}`;
      assert.deepEqual(calls(api.seen), [
        `GET ${base}`,
        `PATCH ${base}/status`,
        "POST /api/v1/namespaces/default/events",
        `PATCH ${base}`,
      ]);
      assert.ok(
        api.seen.every((s) => s.auth === "Bearer test-token"),
        "every request carries the service-account token",
      );
      const [, status, event, taint] = api.seen as [Seen, Seen, Seen, Seen];
      assert.equal(status.contentType, "application/strategic-merge-patch+json");
      const conds = (status.body as { status: { conditions: Array<Record<string, string>> } }).status.conditions;
      assert.equal(conds.length, 1, "only our own condition is sent");
      assert.equal(Object.keys(status.body as object).join(), "status");
      const c = conds[0] as Record<string, string>;
      assert.deepEqual([c.type, c.status, c.reason], [CONDITION_TYPE, "True", "MemcgIdsHeldUntilReboot"]);
      assert.match(c.message as string, /65,530 of 65,535 .*Time to the ID cap at the current rate: 1\.5 h\./);
      assert.match(c.lastHeartbeatTime as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(c.lastTransitionTime, c.lastHeartbeatTime);
      assert.equal(event.contentType, "application/json");
      const ev = event.body as Record<string, Record<string, string> | string>;
      assert.deepEqual(ev.involvedObject, { apiVersion: "v1", kind: "Node", name: NODE, uid: api.node.metadata.uid });
      assert.equal(ev.type, "Warning");
      assert.equal(ev.reason, "MemcgIdsHeldUntilReboot");
      assert.match((ev.metadata as Record<string, string>).name as string, new RegExp(`^${NODE}\\.[0-9a-f]+$`));
      assert.equal(taint.contentType, "application/json-patch+json");
      assert.deepEqual(taint.body, [
        { op: "test", path: "/spec/taints", value: [OTHER_TAINT] },
        { op: "add", path: "/spec/taints/-", value: { key: TAINT_KEY, effect: "NoSchedule" } },
      ]);
      assert.deepEqual(api.node.spec.taints, [OTHER_TAINT, { key: TAINT_KEY, effect: "NoSchedule" }]);
      assert.equal(api.node.status.conditions.find((x) => x.type === "Ready")?.status, "True", "Ready untouched");
    } finally {
      sink.close();
      await api.close();
    }
  },
);

test(
  "contract: status transitions emit exactly one event per change, and the taint follows the status",
  { skip },
  async () => {
    const api = new FakeApiServer(NODE);
    const sink = await sinkFor(await api.listen());
    try {
      const steps: Array<[ScanReport, string]> = [
        [CRITICAL, "True"],
        [CRITICAL, "True"],
        [HEALTHY, "False"],
        [HEALTHY, "False"],
        [CRITICAL, "True"],
      ];
      const transitions: string[] = [];
      for (const [report, want] of steps) {
        sink.update(report);
        await within(sink.idle());
        assert.equal(ours(api)?.status, want);
        transitions.push(ours(api)?.lastTransitionTime as string);
      }
      const events = api.seen.filter((s) => s.method === "POST").map((s) => (s.body as { type: string }).type);
      assert.deepEqual(events, ["Warning", "Normal", "Warning"]);
      assert.equal(transitions[1], transitions[0], "no transition, same lastTransitionTime");
      const taintPatches = api.seen
        .filter((s) => s.method === "PATCH" && !s.path.endsWith("/status"))
        .map((s) => s.body);
      assert.equal(taintPatches.length, 3, "add, remove, add; nothing when unchanged");
      assert.deepEqual(taintPatches[0], [
        { op: "test", path: "/metadata/resourceVersion", value: "101" },
        { op: "add", path: "/spec/taints", value: [{ key: TAINT_KEY, effect: "NoSchedule" }] },
      ]);
      assert.deepEqual(taintPatches[1], [
        { op: "test", path: "/spec/taints", value: [{ key: TAINT_KEY, effect: "NoSchedule" }] },
        { op: "remove", path: "/spec/taints/0" },
      ]);
    } finally {
      sink.close();
      await api.close();
    }
  },
);

test("contract: someone else's taint written between our read and our patch is not clobbered", { skip }, async () => {
  const api = new FakeApiServer(NODE, []);
  api.beforeJsonPatch = (n) => n.spec.taints?.push(OTHER_TAINT);
  const sink = await sinkFor(await api.listen(), { backoff: { initialMs: 20, maxMs: 100 } });
  try {
    sink.update(CRITICAL);
    await within(sink.idle());
    assert.equal(sink.failures, 1, "the first JSON patch failed its test op (422) and was retried");
    assert.deepEqual(api.node.spec.taints, [OTHER_TAINT, { key: TAINT_KEY, effect: "NoSchedule" }]);
    assert.equal(api.seen.filter((s) => s.method === "POST").length, 1, "the retry sends no second event");
  } finally {
    sink.close();
    await api.close();
  }
});

test(
  "contract: API server away (connection refused): update() never blocks, retries back off, the latest wish wins",
  { skip },
  async () => {
    const port = await freePort();
    const tries: number[] = [];
    const sink = await sinkFor(port, {
      backoff: { initialMs: 40, maxMs: 320 },
      log: (l) => {
        if (/ECONNREFUSED/.test(l)) tries.push(Date.now());
      },
    });
    const api = new FakeApiServer(NODE);
    try {
      // update() only queues the wish: nothing has reached (or been refused by) the API when it returns.
      assert.equal(sink.update(HEALTHY), undefined);
      assert.equal(tries.length, 0, "update() returns before any request is made");
      await waitUntil(() => tries.length >= 5, 5000);
      sink.update(CRITICAL); // replaces the healthy wish still queued
      await api.listen(port);
      await within(sink.idle());
      const gaps = tries.slice(1).map((t, i) => t - (tries[i] as number));
      assert.ok(gaps.length >= 4, `gaps ${gaps.join()}`);
      assert.ok((gaps[3] as number) > (gaps[0] as number) * 3, `backoff grows: ${gaps.join()} ms`);
      assert.equal(ours(api)?.status, "True", "the latest wish (critical) was applied");
      assert.equal(
        api.seen.filter((s) => s.path.endsWith("/status")).length,
        1,
        "the stale healthy wish was never sent",
      );
    } finally {
      sink.close();
      await api.close();
    }
  },
);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitUntil(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A sink that never goes idle fails the test instead of hanging the run. */
function within(p: Promise<void>, ms = 10_000): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    t = setTimeout(() => reject(new Error(`sink not idle after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
