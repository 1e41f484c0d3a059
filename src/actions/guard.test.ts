import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { refuseOnWorkingNode, runtimeProcesses } from "./guard.js";

function fakeHost(comms: Record<string, string>): Host {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-guard-"));
  for (const [pid, comm] of Object.entries(comms)) {
    fs.mkdirSync(path.join(root, "proc", pid), { recursive: true });
    fs.writeFileSync(path.join(root, "proc", pid, "comm"), `${comm}\n`);
  }
  return new Host(root);
}

test("a node running kubelet or containerd is refused unless --yes", () => {
  const host = fakeHost({
    "1": "systemd",
    "812": "kubelet",
    "900": "containerd",
    "901": "containerd-shim",
    "77": "bash",
  });
  try {
    assert.deepEqual(runtimeProcesses(host).sort(), ["containerd (pid 900)", "kubelet (pid 812)"]);
    assert.match(
      refuseOnWorkingNode(host, false, "run repro") ?? "",
      /^refusing to run repro on a node that runs .*kubelet \(pid 812\).*--yes/,
    );
    assert.equal(refuseOnWorkingNode(host, true, "run repro"), undefined);
  } finally {
    fs.rmSync(host.root, { recursive: true, force: true });
  }
});

test("a test box without runtimes is not refused", () => {
  const host = fakeHost({ "1": "init", "2": "dockerd-helper", "3": "crio-x" });
  try {
    assert.equal(refuseOnWorkingNode(host, false, "run repro"), undefined);
  } finally {
    fs.rmSync(host.root, { recursive: true, force: true });
  }
});
