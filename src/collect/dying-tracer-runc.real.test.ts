import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Host } from "../host/host.js";
import { DyingTracer, memoryHierarchyId } from "./dying-tracer.js";
import { DyingSet, groupByWorkload, type SetChange } from "../analyze/dying-set.js";
import { needsRootMemcgV1, uniqueName, removeCgroupTree } from "../testing/kernel.js";

const has = (bin: string): boolean => spawnSync("sh", ["-c", `command -v ${bin}`]).status === 0;
const skip =
  needsRootMemcgV1() ||
  (!has("runc") ? "needs runc (apt-get install runc)" : !has("busybox") ? "needs busybox-static" : false);

/** Debian runc 1.1.5 with cgroup v1 on this machine: one static-busybox rootfs shared by every bundle; each bundle has its own config.json. */
function makeBundles(base: string, name: string, scripts: string[]): string[] {
  const rootfs = path.join(base, "rootfs");
  fs.mkdirSync(path.join(rootfs, "bin"), { recursive: true });
  fs.mkdirSync(path.join(rootfs, "tmp"));
  const busybox = spawnSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).stdout.trim();
  fs.copyFileSync(busybox, path.join(rootfs, "bin/busybox"));
  fs.chmodSync(path.join(rootfs, "bin/busybox"), 0o755);
  for (const a of ["sh", "true", "echo"]) fs.symlinkSync("busybox", path.join(rootfs, "bin", a));
  const specDir = path.join(base, "spec");
  fs.mkdirSync(specDir);
  assert.equal(spawnSync("runc", ["spec"], { cwd: specDir }).status, 0, "runc spec");
  const spec = JSON.parse(fs.readFileSync(path.join(specDir, "config.json"), "utf8"));
  return scripts.map((script, i) => {
    const b = path.join(base, `b${i}`);
    fs.mkdirSync(b);
    spec.process.terminal = false;
    spec.process.args = ["sh", "-c", script];
    spec.root = { path: rootfs, readonly: false };
    spec.linux.cgroupsPath = `/${name}/ctr${i}`;
    fs.writeFileSync(path.join(b, "config.json"), JSON.stringify(spec));
    return b;
  });
}

test("a churn of runc containers is named and attributed to its cgroup parent", { skip }, async () => {
  const name = uniqueName("runc");
  const base = `/tmp/${name}`;
  const state = path.join(base, "state");
  // Writers leave a file in the rootfs (ext4 page cache pins their memcg); `true` ones pin nothing.
  const scripts = ["echo 0 > /tmp/f0", "echo 1 > /tmp/f1", "echo 2 > /tmp/f2", "echo 3 > /tmp/f3", "true", "true"];
  const host = new Host("/");
  const tracer = new DyingTracer(host, new DyingSet(memoryHierarchyId(host)));
  const removed = new Set<string>();
  tracer.on("change", (c: SetChange) => {
    if (c.type === "dying" && c.cgroup.path.startsWith(`/${name}/`)) removed.add(c.cgroup.path);
  });
  try {
    const bundles = makeBundles(base, name, scripts);
    tracer.start();
    bundles.forEach((b, i) => {
      const r = spawnSync("runc", ["--root", state, "run", "-b", b, `${name}-${i}`], {
        stdio: ["ignore", "ignore", "pipe"],
        encoding: "utf8",
      });
      assert.equal(r.status, 0, `runc run ${i}: ${r.stderr}`);
    });
    await new Promise((r) => setTimeout(r, 300));
    tracer.poll();
    assert.deepEqual(
      [...removed].sort(),
      scripts.map((_, i) => `/${name}/ctr${i}`),
      "every container's memcg was seen removed",
    );
    const mine = tracer.dyingSet().filter((c) => c.path.startsWith(`/${name}/`));
    for (let i = 0; i < 4; i++)
      assert.ok(
        mine.some((c) => c.path === `/${name}/ctr${i}`),
        `writer ctr${i} is dying`,
      );
    const groups = groupByWorkload(mine, Date.now());
    assert.deepEqual(
      groups.map((g) => [g.workload, g.count]),
      [[`/${name}`, mine.length]],
    );
  } finally {
    tracer.stop();
    spawnSync("sh", [
      "-c",
      `for c in $(runc --root ${state} list -q 2>/dev/null); do runc --root ${state} delete -f $c; done`,
    ]);
    fs.rmSync(base, { recursive: true, force: true });
    // The writers' memcgs stay dying on ext4 metadata: reclaim just this subtree, no global drop_caches.
    if (fs.existsSync(`/sys/fs/cgroup/memory/${name}`))
      fs.writeFileSync(`/sys/fs/cgroup/memory/${name}/memory.force_empty`, "0");
    for (const h of fs.readdirSync("/sys/fs/cgroup")) removeCgroupTree(`/sys/fs/cgroup/${h}/${name}`);
  }
});
