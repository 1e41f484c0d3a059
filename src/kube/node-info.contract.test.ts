import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeConfig } from "@kubernetes/client-node";
import { FakeApiServer } from "../testing/fake-apiserver.js";
import { readNodeVersions, versionsFromNodeInfo } from "./node-info.js";
import { classifyRuntimes } from "../knowledge/runtime-facts.js";
import { kubeClientSkip, loopbackKubeConfig } from "../testing/kube-client.js";

const skip = kubeClientSkip();
const NODE = "worker-7";

const kubeConfig = (port: number): Promise<KubeConfig> => loopbackKubeConfig(port);

test(
  "contract: the node object's nodeInfo gives the kubelet and the container runtime, with one GET",
  { skip },
  async () => {
    const api = new FakeApiServer(NODE);
    (api.node.status as Record<string, unknown>).nodeInfo = {
      kubeletVersion: "v1.18.3",
      containerRuntimeVersion: "containerd://1.4.3",
      kernelVersion: "3.10.0-1160.el7.x86_64",
    };
    const port = await api.listen();
    try {
      const versions = await readNodeVersions(NODE, await kubeConfig(port));
      assert.deepEqual(
        api.seen.map((s) => `${s.method} ${s.path}`),
        [`GET /api/v1/nodes/${NODE}`],
      );
      assert.equal(api.seen[0]?.auth, "Bearer test-token");
      assert.deepEqual(
        versions.map((v) => [v.tool, v.version === "unknown" ? "unknown" : v.version.raw]),
        [
          ["kubelet", "v1.18.3"],
          ["containerd", "1.4.3"],
        ],
      );
      assert.match(versions[0]?.origin ?? "", /Node worker-7 status\.nodeInfo\.kubeletVersion/);
      assert.equal(classifyRuntimes(versions)[0]?.enablesKmem, true, "kubelet 1.18.3 turns kmem on");
    } finally {
      await api.close();
    }
  },
);

test("contract: a node the API does not know is an error, not versions", { skip }, async () => {
  const api = new FakeApiServer(NODE);
  const port = await api.listen();
  try {
    await assert.rejects(readNodeVersions("no-such-node", await kubeConfig(port)));
  } finally {
    await api.close();
  }
});

test("nodeInfo: docker:// and cri-o:// runtimes, and fields that are absent or strange", () => {
  const v = (info: object) =>
    versionsFromNodeInfo(info, "n").map((x) => `${x.tool} ${x.version === "unknown" ? "unknown" : x.version.raw}`);
  assert.deepEqual(v({ kubeletVersion: "v1.21.2-eks-0389ca3", containerRuntimeVersion: "docker://20.10.7" }), [
    "kubelet v1.21.2-eks-0389ca3",
    "dockerd 20.10.7",
  ]);
  assert.deepEqual(v({ containerRuntimeVersion: "cri-o://1.20.0" }), ["crio 1.20.0"]);
  assert.deepEqual(v({ containerRuntimeVersion: "remote://1.0" }), []);
  assert.deepEqual(v({}), []);
});
