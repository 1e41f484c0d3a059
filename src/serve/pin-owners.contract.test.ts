import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeApiServer } from "../testing/fake-apiserver.js";
import { PodCache } from "../kube/pod-cache.js";
import { podLookup } from "./pin-owners.js";
import { kubeClientSkip, loopbackKubeConfig } from "../testing/kube-client.js";
import { fixtureRoot } from "../testing/fixtures.js";
import type { PinReport, ScanReport } from "../analyze/report.js";
import { emptyTick, type Tick } from "./tick.js";
import type { ApiContext } from "./api.js";

const skip = kubeClientSkip();
const NODE = "worker-7";
const WEB = "11111111-2222-4333-8444-555555555555";
const JOB = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const ELSEWHERE = "99999999-8888-4777-8666-555555555555";

type Owner = { kind: string; name: string };
const pod = (uid: string, ns: string, name: string, node: string, owner: Owner) => ({
  metadata: { uid, namespace: ns, name, resourceVersion: "1", ownerReferences: [{ ...owner, controller: true }] },
  spec: { nodeName: node },
});

const pin = (path: string, podUid: string | null, fileBytes: number): PinReport => ({
  path,
  subtree: path.split("/")[0] as string,
  podUid,
  fileBytes,
  shmemBytes: 0,
  anonBytes: 0,
  swapBytes: null,
});

/** Pins under a live pod (cgroupfs and systemd driver paths), a pod of another node, and no pod at all. */
const PINS = [
  pin(`kubepods/burstable/pod${WEB}`, WEB, 3 << 20),
  pin(`kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${JOB.replace(/-/g, "_")}.slice`, JOB, 2 << 20),
  pin(`kubepods/pod${ELSEWHERE}`, ELSEWHERE, 1 << 20),
  pin("system.slice", null, 4096),
];

/** /api/status's context around a report, as the daemon builds it. */
function context(report: ScanReport, over: Partial<ApiContext>): ApiContext {
  const tick: Tick = { ...emptyTick(1, Date.now()), walked: true, report, walks: 1 };
  return {
    latest: () => tick,
    store: () => null,
    intervalMs: 1000,
    walkIntervalMs: 1000,
    now: Date.now,
    log: () => {},
    ...over,
  };
}

test("contract: serve --kube names each pin's pod and owner in /api/status and scan text", { skip }, async () => {
  const { ServeTrace } = await import("./trace.js");
  const { status } = await import("./api.js");
  const { renderScanText } = await import("../sinks/scan-text.js");
  const { runScan, DEFAULT_THRESHOLDS } = await import("../scan.js");
  const { Host } = await import("../host/host.js");
  const { openStore } = await import("../store/store.js");
  const api = new FakeApiServer(NODE);
  const rs = { kind: "ReplicaSet", name: "web-5d9c7b6f8" };
  api.pods.push(pod(WEB, "shop", "web-5d9c7b6f8-x2x4q", NODE, rs));
  api.pods.push(pod(JOB, "batch", "nightly-export-28512-abcde", NODE, { kind: "Job", name: "nightly-export-28512" }));
  api.pods.push(pod(ELSEWHERE, "shop", "web-5d9c7b6f8-zzzzz", "worker-8", rs));
  const host = new Host(fixtureRoot("hybrid-v1-memory"));
  const cache = new PodCache({ config: await loopbackKubeConfig(await api.listen()), nodeName: NODE, log: () => {} });
  const store = openStore(":memory:");
  try {
    await cache.start();
    assert.equal(cache.status.state, "synced");
    const scanned = runScan(host, { thresholds: DEFAULT_THRESHOLDS, deep: "auto", emptyMinAgeMs: 0 });
    const report: ScanReport = { ...scanned, dying: { ...scanned.dying, pins: PINS } };
    const trace = new ServeTrace({
      host,
      store: () => store,
      runStore: (fn) => fn(),
      bootId: "b",
      log: () => {},
      onReleased: () => {},
      pods: cache,
    });
    const doc = status(context(report, { trace })) as { report: ScanReport };
    const pins = doc.report.dying.pins ?? [];
    assert.deepEqual(
      pins.map((p) => p.pod),
      [
        { namespace: "shop", name: "web-5d9c7b6f8-x2x4q", ownerKind: "Deployment", ownerName: "web" },
        { namespace: "batch", name: "nightly-export-28512-abcde", ownerKind: "Job", ownerName: "nightly-export-28512" },
        undefined, // listed by spec.nodeName: another node's pod is not in this node's cache
        undefined,
      ],
    );
    assert.match(doc.report.dying.podNames ?? "", /pod names from the API server \(2 pods cached\)/);
    assert.equal(report.dying.pins?.[0]?.pod, undefined, "the sampler's report stays as scanned");
    const text = renderScanText(doc.report);
    assert.match(text, /555555555555 +3\.0 MiB .*\n {4}pod shop\/web-5d9c7b6f8-x2x4q \(Deployment web\)\n/);
    assert.match(text, /\n {4}pod batch\/nightly-export-28512-abcde \(Job nightly-export-28512\)\n/);
    assert.equal(text.match(/\n {4}pod /g)?.length, 2);
    const paths = api.seen.map((s) => s.path);
    assert.ok(
      paths.some((p) => p.includes("fieldSelector=spec.nodeName%3Dworker-7")),
      paths.join(" "),
    );
    // The same cache without a tracer (serve --kube alone, once the daemon hands it over).
    const own = status(context(report, { trace: null, pods: podLookup(cache) })) as { report: ScanReport };
    assert.deepEqual(own.report.dying.pins, pins);
  } finally {
    cache.stop();
    store.close();
    await api.close();
  }
});

test("without a pod cache /api/status leaves the pins as scanned, with no names", async () => {
  const { status } = await import("./api.js");
  const report = { kernel: { release: "6.1", cmdline: null }, dying: { pins: PINS } } as unknown as ScanReport;
  const r = (status(context(report, { trace: null })) as { report: ScanReport }).report;
  assert.deepEqual(r.dying.pins, PINS);
  assert.equal(r.dying.podNames, undefined);
});
