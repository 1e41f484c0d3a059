import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Host } from "../host/host.js";
import { collectNode } from "../collect/node.js";
import { readCgroupMounts } from "../collect/mounts.js";
import { needsRootMemcgV1, uniqueName, removeCgroupTree } from "../testing/kernel.js";
import { reclaim, measure } from "./reclaim.js";
import { settledDying } from "./dying.js";

const host = new Host("/");
const runc = spawnSync("sh", ["-c", "command -v runc"], { encoding: "utf8" }).stdout.trim();
const busybox = spawnSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).stdout.trim();
const skip =
  needsRootMemcgV1() ||
  (runc === ""
    ? "needs runc (apt-get install runc)"
    : busybox === ""
      ? "needs a static busybox (busybox-static)"
      : false);
const N = 100;

/** Debian runc 1.1.5 with cgroup v1 on this machine: one shared static busybox rootfs; a bundle (config.json) per container. */
function bundle(dir: string, rootfs: string, id: string, cgroupsPath: string, template: Record<string, any>): string {
  const b = path.join(dir, id);
  fs.mkdirSync(b);
  const spec = structuredClone(template);
  spec.process.terminal = false;
  spec.process.args = ["sh", "-c", `echo ${id} > /tmp/${id}`]; // a file in the rootfs (ext4) pins the memcg
  spec.root = { path: rootfs, readonly: false };
  spec.linux.cgroupsPath = cgroupsPath;
  fs.writeFileSync(path.join(b, "config.json"), JSON.stringify(spec));
  return b;
}

test(
  "100 runc containers that each write a file leave ~100 dying memcgs that scan counts and reclaim frees",
  { skip, timeout: 180_000 },
  async (t) => {
    const h = collectNode(host).memory!;
    const name = uniqueName("runc");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
    const rootfs = path.join(dir, "rootfs");
    const state = path.join(dir, "state");
    try {
      fs.mkdirSync(path.join(rootfs, "bin"), { recursive: true });
      fs.mkdirSync(path.join(rootfs, "tmp"));
      fs.copyFileSync(busybox, path.join(rootfs, "bin/busybox"));
      fs.chmodSync(path.join(rootfs, "bin/busybox"), 0o755);
      fs.symlinkSync("busybox", path.join(rootfs, "bin/sh"));
      const spec = spawnSync(runc, ["spec"], { cwd: dir, encoding: "utf8" });
      assert.equal(spec.status, 0, spec.stderr);
      const template = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
      const start = await settledDying(host, h);
      for (let i = 1; i <= N; i++) {
        const id = `${name}-c${i}`;
        const b = bundle(dir, rootfs, id, `/${name}/c${i}`, template);
        const r = spawnSync(runc, ["--root", state, "run", "-b", b, id], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        });
        assert.equal(r.status, 0, `runc run ${id}: ${r.stderr}`);
      }
      const leaked = (await settledDying(host, h)) - start;
      const seen = measure(host, h).dying - start; // the scan collector's count
      assert.ok(leaked >= N * 0.8 && seen >= N * 0.8, `leaked ${leaked}, scan sees ${seen} of ${N}`);
      const r = reclaim(host, h, { kind: "drop-caches" });
      t.diagnostic(
        `start ${start} dying; after ${N} containers +${leaked} (scan +${seen}); after reclaim ${r.after.dying} in ${r.seconds.toFixed(2)} s`,
      );
      assert.ok(r.after.dying - start <= N * 0.1, `dying ${start} at start, ${r.after.dying} after reclaim`);
    } finally {
      spawnSync(runc, ["--root", state, "list"], { encoding: "utf8" }); // (containers are deleted by `run` itself)
      fs.rmSync(dir, { recursive: true, force: true });
      // runc made /<name> in every hierarchy, v2 and name=systemd included
      for (const m of readCgroupMounts(host).hierarchies) removeCgroupTree(host.path(`${m.mountPoint}/${name}`));
    }
  },
);
