import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { daemonSetPodSpec, podRunFlags, remediationOverlay, REPO } from "./pod-run.js";
import { unitCommands } from "./systemd-unit.js";

test("pod-run: the shipped DaemonSet becomes a read-only, non-root, capability-free podman run", () => {
  const { flags, args } = podRunFlags(daemonSetPodSpec(), { nodeName: "n1" });
  for (const f of [
    "--user=65532:65532",
    "--read-only",
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
    "--volume=/proc:/host/proc:ro",
    "--volume=/sys/fs/cgroup:/host/sys/fs/cgroup:ro,rslave",
    "--env=NODE_NAME=n1",
  ]) {
    assert.ok(flags.includes(f), `${f} in ${flags.join(" ")}`);
  }
  assert.equal(args[0], "serve");
});

test("pod-run: the remediation overlay's writer runs as root with the cgroup tree and drop_caches writable, /proc still read-only; its server does not", () => {
  const pod = daemonSetPodSpec(undefined, remediationOverlay());
  const server = podRunFlags(pod, { hostPath: (p) => path.join("/scratch", p) }, "cgleak").flags;
  assert.ok(server.includes("--user=65532:65532"), server.join(" "));
  assert.ok(server.includes("--volume=/scratch/sys/fs/cgroup:/host/sys/fs/cgroup:ro,rslave"), server.join(" "));
  const { flags } = podRunFlags(pod, { hostPath: (p) => path.join("/scratch", p) }, "writer");
  assert.ok(flags.includes('--entrypoint=["sleep","infinity"]'), "it idles for kubectl exec");
  assert.ok(flags.includes("--user=0:0"), flags.join(" "));
  assert.ok(flags.includes("--volume=/scratch/sys/fs/cgroup:/host/sys/fs/cgroup:rw,rslave"), flags.join(" "));
  assert.ok(
    flags.includes("--volume=/scratch/proc/sys/vm/drop_caches:/host/proc/sys/vm/drop_caches:rw"),
    flags.join(" "),
  );
  assert.ok(flags.includes("--volume=/scratch/proc:/host/proc:ro"), flags.join(" "));
  const journal = "--volume=/scratch/var/lib/cgleak-writer:/var/lib/cgleak:rw";
  assert.ok(flags.includes(journal), "the writer's journal, on the host, in its own directory");
});

test("systemd-unit: Environment= defaults, overrides, ${VAR} as one word and $VAR split on spaces", () => {
  const unit = path.join(REPO, "deploy/systemd/cgleak-container.service");
  const [start] = unitCommands(unit, "ExecStart", { CGLEAK_ENGINE: "podman --cgroup-manager=cgroupfs" }) as [string[]];
  assert.deepEqual(start.slice(0, 4), ["/usr/bin/env", "podman", "--cgroup-manager=cgroupfs", "run"]);
  assert.ok(start.includes("ghcr.io/cgleak/cgleak:0.1.0"), start.join(" "));
  assert.ok(start.includes("--listen=0.0.0.0:19597"), start.join(" "));
  assert.ok(!start.includes(""), "an empty $CGLEAK_RUN_OPTS adds no argument");
});
