import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import { PodCache, PodNames, podName, type PodLike } from "./pod-cache.js";
import { podNamesNote } from "../sinks/trace-text.js";
import { kubeClientSkip, loopbackKubeConfig } from "../testing/kube-client.js";

const skip = kubeClientSkip();
const NODE = "worker-7";

const pod = (
  uid: string,
  ns: string,
  name: string,
  owner?: { kind: string; name: string },
): PodLike & { metadata: { uid: string; resourceVersion: string } } => ({
  metadata: {
    uid,
    namespace: ns,
    name,
    resourceVersion: "1",
    ...(owner ? { ownerReferences: [{ ...owner, controller: true }] } : {}),
  },
});
const WEB = pod("11111111-2222-4333-8444-555555555555", "shop", "web-5d9c7b6f8-x2x4q", {
  kind: "ReplicaSet",
  name: "web-5d9c7b6f8",
});
const JOB = pod("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "batch", "nightly-export-28512-abcde", {
  kind: "Job",
  name: "nightly-export-28512",
});

test("pod names: a ReplicaSet's pod-template hash names the Deployment; other owners and bare pods as they are", () => {
  assert.deepEqual(podName(WEB), {
    namespace: "shop",
    name: "web-5d9c7b6f8-x2x4q",
    ownerKind: "Deployment",
    ownerName: "web",
  });
  assert.deepEqual(podName(JOB), {
    namespace: "batch",
    name: "nightly-export-28512-abcde",
    ownerKind: "Job",
    ownerName: "nightly-export-28512",
  });
  // "web-backend" ends in a word with vowels: not a hash, so the ReplicaSet stays a ReplicaSet.
  assert.equal(podName(pod("u1", "a", "p", { kind: "ReplicaSet", name: "web-backend" }))?.ownerKind, "ReplicaSet");
  assert.deepEqual(podName(pod("u2", "kube-system", "etcd-node")), { namespace: "kube-system", name: "etcd-node" });
});

test("pod names: deleted pods are kept for the TTL, then forgotten; past the bound the least recently seen goes", () => {
  let now = 0;
  const names = new PodNames(3, 1000, () => now);
  names.seen(WEB);
  names.deleted(WEB);
  now = 999;
  assert.equal(names.get(WEB.metadata.uid.toUpperCase())?.name, WEB.metadata.name, "UIDs match whatever their case");
  now = 1001;
  assert.equal(names.get(WEB.metadata.uid), undefined, "a day-old deletion is forgotten");
  for (const i of [1, 2, 3, 4]) names.seen(pod(`u${i}`, "ns", `p${i}`));
  names.seen(pod("u2", "ns", "p2")); // seen again: most recent
  names.seen(pod("u5", "ns", "p5"));
  assert.equal(names.size, 3);
  assert.deepEqual(
    ["u1", "u2", "u3", "u4", "u5"].map((u) => names.get(u) !== undefined),
    [false, true, false, true, true],
  );
});

/** Serves this node's pods: the list, then a watch that sends one DELETED event and stays open. */
function podServer(items: PodLike[], deleted: PodLike): { server: http.Server; seen: string[] } {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? "");
    const url = new URL(req.url ?? "", "http://x");
    if (url.pathname !== "/api/v1/pods" || url.searchParams.get("fieldSelector") !== `spec.nodeName=${NODE}`)
      return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json" });
    if (url.searchParams.get("watch") !== "true")
      return void res.end(
        JSON.stringify({ kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "10" }, items }),
      );
    res.write(
      JSON.stringify({
        type: "DELETED",
        object: { ...deleted, metadata: { ...deleted.metadata, resourceVersion: "11" } },
      }) + "\n",
    );
  });
  return { server, seen };
}

const config = (port: number): Promise<KubeConfig> => loopbackKubeConfig(port, "t");

test(
  "contract: the cache lists this node's pods (fieldSelector spec.nodeName), and still names a pod after its watch DELETED event",
  { skip },
  async () => {
    const { server, seen } = podServer([WEB, JOB], JOB);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    let now = 0;
    const names = new PodNames(100, 1000, () => now);
    const cache = new PodCache({
      config: await config((server.address() as AddressInfo).port),
      nodeName: NODE,
      log: () => {},
      names,
    });
    try {
      await cache.start();
      assert.equal(cache.status.state, "synced");
      for (let i = 0; i < 100 && !seen.some((u) => u.includes("watch=true")); i++)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50)); // the DELETED line is sent with the watch's headers
      assert.ok(seen[0]?.startsWith("/api/v1/pods?") && !seen[0].includes("watch"), `first a list: ${seen[0]}`);
      assert.match(
        seen.find((u) => u.includes("watch=true")) ?? "",
        /resourceVersion=10/,
        "the watch continues from the list",
      );
      assert.deepEqual(cache.names.get(JOB.metadata.uid), {
        namespace: "batch",
        name: "nightly-export-28512-abcde",
        ownerKind: "Job",
        ownerName: "nightly-export-28512",
      });
      assert.equal(cache.names.get(WEB.metadata.uid)?.ownerName, "web");
      assert.match(podNamesNote(cache), /from the API server \(2 pods cached\)/);
      now = 1001; // past the deleted pods' TTL: the DELETED event was recorded, the live pod stays
      assert.equal(cache.names.get(JOB.metadata.uid), undefined);
      assert.equal(cache.names.get(WEB.metadata.uid)?.name, WEB.metadata.name);
    } finally {
      cache.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  },
);

test(
  "contract: API server away: start() returns at once, the status says so, and nothing throws",
  { skip },
  async () => {
    const probeServer = net.createServer();
    await new Promise<void>((r) => probeServer.listen(0, "127.0.0.1", r));
    const port = (probeServer.address() as AddressInfo).port;
    await new Promise((r) => probeServer.close(r)); // a port nobody listens on: connection refused
    const logs: string[] = [];
    const cache = new PodCache({
      config: await config(port),
      nodeName: NODE,
      log: (l) => logs.push(l),
      retryMs: 60_000,
    });
    try {
      // start() resolves with the API away (retryMs is a minute: it did not wait for a retry).
      await cache.start();
      assert.equal(cache.status.state, "away");
      assert.match(podNamesNote(cache), /API server is away .*named from their paths only/);
      assert.equal(logs.length, 1, logs.join("\n"));
    } finally {
      cache.stop();
    }
  },
);

test("serve --trace --kube: /api/dying names each dying pod's owner, the store keeps the names, and a restart without the API still names them", async () => {
  const { ServeTrace } = await import("../serve/trace.js");
  const { DYING_STATE_KEY } = await import("../store/dying-state.js");
  const { openStore } = await import("../store/store.js");
  const { Host } = await import("../host/host.js");
  const { fixtureRoot } = await import("../testing/fixtures.js");
  const store = openStore(":memory:");
  const names = new PodNames();
  names.seen(JOB);
  names.deleted(JOB);
  const src = { names, status: { state: "synced" as const }, start: async () => {}, stop: () => {} };
  const make = (pods: typeof src | null) =>
    new ServeTrace({
      host: new Host(fixtureRoot("hybrid-v1-memory")),
      store: () => store,
      runStore: (fn) => fn(),
      bootId: "b",
      log: () => {},
      onReleased: () => {},
      pods,
    });
  try {
    const first = make(src);
    const root = first.tracer.set.root;
    const path = `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${JOB.metadata.uid.replace(/-/g, "_")}.slice/cri-containerd-${"a".repeat(64)}.scope`;
    first.tracer.set.apply(
      { kind: "cgroup", event: "cgroup_rmdir", task: "t", pid: 1, cpu: 0, ts: 0, root, id: 9, level: 4, path },
      1000,
    );
    const doc = first.doc(null, 2000) as {
      podNames: string;
      groups: Array<{ owner?: string; pod?: { name: string } }>;
    };
    assert.equal(doc.groups[0]?.owner, "Job batch/nightly-export-28512");
    assert.match(doc.podNames, /from the API server/);
    first.save(3000);
    assert.deepEqual(Object.keys((store.getState(DYING_STATE_KEY) as { pods: object }).pods), [JOB.metadata.uid]);
    const again = make(null); // restarted, API not asked: the stored names still serve
    again.restore();
    assert.equal((again.doc(null, 4000) as typeof doc).groups[0]?.pod?.name, JOB.metadata.name);
  } finally {
    store.close();
  }
});
