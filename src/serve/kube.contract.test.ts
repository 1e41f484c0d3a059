import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fixtureRoot, runCli } from "../testing/fixtures.js";
import { FakeApiServer, type Seen } from "../testing/fake-apiserver.js";
import { CONDITION_TYPE, TAINT_KEY } from "../kube/condition.js";
import { startServe, getText, metricValue, sleep, waitFor } from "../testing/serve.js";

const NODE = "worker-3";
const NEAR_CAP = fixtureRoot("centos7-v1-near-cap");
const HEALTHY = fixtureRoot("hybrid-v1-memory");
const BASE = `/api/v1/nodes/${NODE}`;

/** A kubeconfig (JSON is YAML) pointing at the loopback fake with a bearer token; the client refuses plain HTTP unless TLS checks are off. */
function kubeconfigFile(dir: string, port: number): string {
  const file = path.join(dir, "kubeconfig");
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "loop",
      clusters: [{ name: "loop", cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
      users: [{ name: "sa", user: { token: "serve-token" } }],
      contexts: [{ name: "loop", context: { cluster: "loop", user: "sa" } }],
    }),
  );
  return file;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-serve-kube-"));
}

test("contract: serve --kube --taint-at critical on a near-cap node PATCHes its condition (strategic merge) and its NoSchedule taint (JSON patch)", async () => {
  const api = new FakeApiServer(NODE);
  const dir = tempDir();
  const env = { NODE_NAME: NODE, KUBECONFIG: kubeconfigFile(dir, await api.listen()) };
  const s = await startServe(
    ["--kube", "--taint-at", "critical", "--host-root", NEAR_CAP, "--db", ":memory:", "--interval", "1s"],
    undefined,
    env,
  );
  try {
    const taint = await waitFor("the taint PATCH", 8000, async () =>
      api.seen.find((x) => x.method === "PATCH" && x.path === BASE),
    );
    const status = api.seen.find((x) => x.method === "PATCH" && x.path === `${BASE}/status`) as Seen;
    assert.ok(status.at <= taint.at, "the condition is written before the taint");
    assert.ok(
      api.seen.every((x) => x.auth === "Bearer serve-token"),
      "the kubeconfig's token is used",
    );
    assert.equal(status.contentType, "application/strategic-merge-patch+json");
    const conds = (status.body as { status: { conditions: Array<Record<string, string>> } }).status.conditions;
    assert.equal(conds.length, 1, "only our own condition is sent");
    const c = conds[0] as Record<string, string>;
    assert.deepEqual([c.type, c.status, c.reason], [CONDITION_TYPE, "True", "MemcgIdsHeldUntilReboot"]);
    const st = JSON.parse((await getText(`${s.url}/api/status`)).text);
    assert.ok(
      (c.message as string).startsWith(st.report.status.sentence),
      `${c.message} / ${st.report.status.sentence}`,
    );
    assert.match(c.message as string, /65,530 of 65,535/);
    assert.equal(taint.contentType, "application/json-patch+json");
    assert.deepEqual(taint.body, [
      { op: "test", path: "/metadata/resourceVersion", value: "101" },
      { op: "add", path: "/spec/taints", value: [{ key: TAINT_KEY, effect: "NoSchedule" }] },
    ]);
    assert.deepEqual(api.node.spec.taints, [{ key: TAINT_KEY, effect: "NoSchedule" }]);
    assert.equal(api.seen.filter((x) => x.method === "POST").length, 1, "one Event for the one transition");
    // Later ticks change nothing on the node: no second taint, no second event.
    await sleep(2500);
    assert.equal(api.seen.filter((x) => x.method === "PATCH" && x.path === BASE).length, 1);
    assert.equal(api.seen.filter((x) => x.method === "POST").length, 1);
    assert.equal(api.node.status.conditions.find((x) => x.type === "Ready")?.status, "True", "Ready untouched");
  } finally {
    const { code, ms } = await s.stop();
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, s.stderr());
    assert.ok(ms < 2000, `stopped in ${ms} ms`);
  }
});

test("contract: serve --kube with the API server away keeps sampling and scraping, and logs the retries", async () => {
  const api = new FakeApiServer(NODE);
  const port = await api.listen();
  await api.close(); // nothing listens there now: connection refused
  const dir = tempDir();
  const env = { NODE_NAME: NODE, KUBECONFIG: kubeconfigFile(dir, port) };
  const s = await startServe(
    ["--kube", "--host-root", NEAR_CAP, "--db", ":memory:", "--interval", "200ms"],
    undefined,
    env,
  );
  try {
    const first = metricValue((await getText(`${s.url}/metrics`)).text, "cgleak_last_sample_timestamp_seconds");
    const later = await waitFor("a newer sample", 3000, async () => {
      const v = metricValue((await getText(`${s.url}/metrics`)).text, "cgleak_last_sample_timestamp_seconds");
      return v !== undefined && first !== undefined && v > first ? v : undefined;
    });
    assert.ok(later > (first as number), "sampling goes on while the API server is away");
    await waitFor("a logged retry", 5000, async () =>
      /kube: .*ECONNREFUSED.*retrying/.test(s.stderr()) ? true : undefined,
    );
  } finally {
    const { code, ms } = await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, s.stderr());
    assert.ok(ms < 2000, `stopped in ${ms} ms with the API server away`);
  }
});

test("serve --kube without NODE_NAME or without any Kubernetes config: one line, exit 2", () => {
  const args = ["serve", "--kube", "--host-root", NEAR_CAP, "--db", ":memory:", "--listen", "127.0.0.1:0"];
  const noNode = runCli(args, { NODE_NAME: "", KUBECONFIG: "" });
  assert.equal(noNode.status, 2);
  assert.match(noNode.stderr, /^cgleak serve: --kube: NODE_NAME is not set[^\n]*\n$/);
  const noConfig = runCli(args, { NODE_NAME: NODE, KUBECONFIG: "", HOME: "/nonexistent", KUBERNETES_SERVICE_HOST: "" });
  assert.equal(noConfig.status, 2);
  assert.match(noConfig.stderr, /^cgleak serve: --kube: no Kubernetes config[^\n]*\n$/);
  const missing = runCli(args, { NODE_NAME: NODE, KUBECONFIG: "/nonexistent/kubeconfig" });
  assert.equal(missing.status, 2);
  assert.equal(
    missing.stderr,
    "cgleak serve: --kube: KUBECONFIG names /nonexistent/kubeconfig, which does not exist\n",
  );
  const taint = runCli(["serve", "--taint-at", "critical", "--host-root", NEAR_CAP, "--db", ":memory:"]);
  assert.equal(taint.status, 2);
  assert.equal(taint.stderr, "cgleak serve: --taint-at needs --kube\n");
  const podNames = runCli(["serve", "--pod-names", "--host-root", NEAR_CAP, "--db", ":memory:"]);
  assert.equal(podNames.status, 2);
  assert.equal(podNames.stderr, "cgleak serve: --pod-names needs --kube\n");
});

test("contract: serve --kube lists no pods (the base RBAC grants none); with --pod-names it watches its node's pods and names the pins from them", async () => {
  const api = new FakeApiServer(NODE);
  api.pods.push({
    metadata: { uid: "11111111-2222-4333-8444-555555555555", namespace: "shop", name: "web-1", resourceVersion: "1" },
    spec: { nodeName: NODE },
  });
  const dir = tempDir();
  const env = { NODE_NAME: NODE, KUBECONFIG: kubeconfigFile(dir, await api.listen()) };
  const args = ["--kube", "--host-root", HEALTHY, "--db", ":memory:", "--interval", "1s"];
  try {
    const plain = await startServe(args, undefined, env);
    const plainStatus = JSON.parse((await getText(`${plain.url}/api/status`)).text);
    assert.equal((await plain.stop()).code, 0, plain.stderr());
    assert.equal(plainStatus.report.dying.podNames, undefined);
    assert.equal(
      api.seen.filter((x) => x.path.startsWith("/api/v1/pods")).length,
      0,
      "no pod list without --pod-names",
    );
    const named = await startServe([...args, "--pod-names"], undefined, env);
    try {
      const note = await waitFor("the pod cache to sync", 8000, async () => {
        const st = JSON.parse((await getText(`${named.url}/api/status`)).text);
        return /pods cached/.test(st.report.dying.podNames ?? "") &&
          /from the API server/.test(st.report.dying.podNames)
          ? (st.report.dying.podNames as string)
          : undefined;
      });
      assert.equal(note, "pod names from the API server (1 pods cached)");
      const list = api.seen.find((x) => x.path.startsWith("/api/v1/pods?"));
      assert.ok(list?.path.includes(`fieldSelector=spec.nodeName%3D${NODE}`), list?.path);
    } finally {
      assert.equal((await named.stop()).code, 0, named.stderr());
    }
  } finally {
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("serve --reboot-sentinel: the file appears where only a reboot helps (centos7 near the cap), and a stale one goes on a healthy host", async () => {
  const dir = tempDir();
  const file = path.join(dir, "reboot-required");
  try {
    const near = await startServe([
      "--host-root",
      NEAR_CAP,
      "--db",
      ":memory:",
      "--interval",
      "1s",
      "--reboot-sentinel",
      file,
    ]);
    try {
      // The first walk runs before the daemon listens: the file is there already.
      assert.match(fs.readFileSync(file, "utf8"), /^cgleak .*: .*dying memcgs hold IDs only a reboot frees/);
    } finally {
      await near.stop();
    }
    assert.ok(fs.existsSync(file), "stopping the daemon does not cancel a needed reboot");
    const ok = await startServe([
      "--host-root",
      HEALTHY,
      "--db",
      ":memory:",
      "--interval",
      "1s",
      "--reboot-sentinel",
      file,
    ]);
    try {
      assert.equal(fs.existsSync(file), false, "the healthy host's first walk removed the stale sentinel");
      assert.deepEqual(fs.readdirSync(dir), [], "no temporary file left behind");
    } finally {
      await ok.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
