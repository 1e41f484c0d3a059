import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeApiServer } from "../testing/fake-apiserver.js";
import { clientKubeApi } from "./client.js";
import { ReapEvents } from "./reap-event.js";
import type { PassReport } from "../actions/reap-report.js";
import { loopbackKubeConfig } from "../testing/kube-client.js";

const NODE = "worker-7";

function pass(over: Partial<PassReport>): PassReport {
  return {
    at: "2026-12-02T17:00:00.000Z",
    method: "limit",
    dryRun: false,
    verdict: "acted",
    reason: "1046 dying memcgs > target 1000",
    pressure: { memory: 0, io: 1.2 },
    seconds: 3.1,
    writeSeconds: 0.4,
    dyingBefore: 1046,
    dyingAfter: 46,
    dyingFreed: 1000,
    pinnedBefore: 66_060_288,
    pinnedAfter: 20_480,
    pinnedFreed: 66_039_808,
    liveCacheEvicted: 0,
    refaults: 3,
    dyingFreedPerGiBEvicted: null,
    pinnedFreedPerGiBEvicted: null,
    parents: [],
    unreclaimable: [],
    note: "",
    ...over,
  };
}

test("contract: each reaper pass that acted, or found only unreclaimable pins, is one Event on the node, with the collateral in its message", async () => {
  const api = new FakeApiServer(NODE);
  const port = await api.listen();
  try {
    const kc = await loopbackKubeConfig(port, "reap-token");
    const events = new ReapEvents(await clientKubeApi(kc), NODE, () => {});
    await events.post(pass({}));
    await events.post(
      pass({
        verdict: "nothing-to-do",
        reason: "1046 dying memcgs > target 1000, but no parent has pins reclaim can free (see unreclaimable)",
        dyingFreed: 0,
        pinnedFreed: 0,
        unreclaimable: [
          {
            path: "/sys/fs/cgroup/memory/kubepods/burstable/pod1",
            bytes: 3_276_800,
            reason: "tmpfs/shmem pages: ... deleting the files on the tmpfs, or unmounting it, frees them",
          },
        ],
      }),
    );
    const posts = api.seen.filter((s) => s.method === "POST");
    assert.equal(posts.length, 2);
    assert.ok(
      posts.every(
        (s) =>
          s.path === "/api/v1/namespaces/default/events" &&
          s.contentType === "application/json" &&
          s.auth === "Bearer reap-token",
      ),
    );
    const [ok, stuck] = posts.map((s) => s.body as Record<string, unknown>);
    assert.deepEqual(ok?.involvedObject, { apiVersion: "v1", kind: "Node", name: NODE, uid: api.node.metadata.uid });
    assert.equal(ok?.reason, "MemcgReaped");
    assert.equal(ok?.type, "Normal");
    assert.match(
      String(ok?.message),
      /1000 dying memcgs freed \(1046 -> 46\), 63\.0 MiB of pinned page cache freed; live page cache evicted 0\.0 MiB, 3 refaults after; no live page cache evicted/,
    );
    assert.equal(ok?.firstTimestamp, "2026-12-02T17:00:00Z", "metav1.Time to the second");
    assert.equal(stuck?.reason, "MemcgReapUnreclaimable");
    assert.equal(stuck?.type, "Warning");
    assert.match(String(stuck?.message), /pod1 3\.1 MiB: tmpfs\/shmem/);
    assert.notEqual(
      (ok?.metadata as { name: string }).name,
      (stuck?.metadata as { name: string }).name,
      "distinct names",
    );
    assert.equal(api.seen.filter((s) => s.method === "GET").length, 1, "the node's uid is read once");
  } finally {
    await api.close();
  }
});
