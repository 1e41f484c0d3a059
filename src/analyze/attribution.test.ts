import { test } from "node:test";
import * as assert from "node:assert/strict";
import { attribute } from "./attribution.js";

const ID = "0bc5eac79e3ae7a0c2651f14722aa10fa333eb2325c2ca97da33aa284cda81b0";

test("systemd layout: crio-conmon scope in a burstable pod (kubernetes test/e2e_node example path)", () => {
  const p = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b7632a2_a56e_4278_987a_22de18008dbe.slice/crio-conmon-${ID}.scope`;
  assert.deepEqual(attribute(p), {
    topLevel: "kubepods.slice",
    qos: "burstable",
    podUid: "0b7632a2-a56e-4278-987a-22de18008dbe",
    containerId: ID,
    runtime: "crio-conmon",
    workload: "pod 0b7632a2-a56e-4278-987a-22de18008dbe (burstable)",
  });
});

test("systemd layout: containerd, docker and crio scopes; guaranteed pod directly under kubepods.slice", () => {
  const g = attribute(
    `kubepods.slice/kubepods-podd80f4a0e_576f_47a8_a0cf_69dc23dc1980.slice/cri-containerd-${ID}.scope`,
  );
  assert.equal(g.qos, "guaranteed");
  assert.equal(g.podUid, "d80f4a0e-576f-47a8-a0cf-69dc23dc1980");
  assert.equal(g.runtime, "containerd");
  const be =
    "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod729d2f46_480d_4796_a76c_e227e2671d31.slice";
  assert.equal(attribute(`${be}/docker-${ID}.scope`).runtime, "docker");
  assert.equal(attribute(`${be}/crio-${ID}.scope`).runtime, "crio");
  assert.equal(attribute(`${be}/crio-${ID}.scope`).qos, "besteffort");
  assert.equal(attribute(be).containerId, undefined);
  assert.equal(attribute(be).workload, "pod 729d2f46-480d-4796-a76c-e227e2671d31 (besteffort)");
});

test("cgroupfs layout: /kubepods/burstable/pod<uid>/<id> and a guaranteed /kubepods/pod<uid>/<id>", () => {
  const b = attribute(`/kubepods/burstable/pod12345678-1234-1234-1234-123456789abc/${ID}`);
  assert.deepEqual(b, {
    topLevel: "kubepods",
    qos: "burstable",
    podUid: "12345678-1234-1234-1234-123456789abc",
    containerId: ID,
    workload: "pod 12345678-1234-1234-1234-123456789abc (burstable)",
  });
  const g = attribute(`/kubepods/pod12345678-1234-1234-1234-123456789abc/crio-${ID}`);
  assert.equal(g.qos, "guaranteed");
  assert.equal(g.runtime, "crio");
});

test("kubepods levels above pods group as kubepods or the QoS class; kind's nested kubelet slice too", () => {
  assert.equal(attribute("/kubepods/besteffort").workload, "kubepods besteffort");
  assert.equal(attribute("/kubepods").workload, "kubepods");
  const kind = attribute(
    "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/" +
      "kubelet-kubepods-besteffort-pod729d2f46_480d_4796_a76c_e227e2671d31.slice",
  );
  assert.equal(kind.qos, "besteffort");
  assert.equal(kind.podUid, "729d2f46-480d-4796-a76c-e227e2671d31");
});

test("systemd units, user slices, docker without kubernetes, and anything else as its top-level subtree", () => {
  assert.deepEqual(attribute("/system.slice/foo.service"), {
    topLevel: "system.slice",
    systemdUnit: "foo.service",
    workload: "/system.slice/foo.service",
  });
  assert.equal(attribute("/user.slice/user-1000.slice/session-3.scope").systemdUnit, "session-3.scope");
  assert.equal(attribute("/user.slice").workload, "/user.slice");
  const d = attribute(`/system.slice/docker-${ID}.scope`);
  assert.equal(d.runtime, "docker");
  assert.equal(d.workload, "docker containers in /system.slice");
  assert.equal(attribute(`/docker/${ID}`).runtime, "docker");
  assert.deepEqual(attribute("/cgleak-test-1/ctr7/x"), { topLevel: "cgleak-test-1", workload: "/cgleak-test-1" });
  assert.deepEqual(attribute("/"), { topLevel: "", workload: "/" });
});
