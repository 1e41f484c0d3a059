import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { labAvailable, runInGuest, REPO, type LabKernel } from "./qemu.js";
import type { ScanReport } from "../analyze/report.js";

// Pins at every depth on real cgroup v2 kernels (qemu, lab/v2/scenarios/depth.sh): each dying
// memcg's pages must be found at its nearest live ancestor, equal to the memory.stat it had
// just before removal (`file`, `shmem`, `anon`).
const skip = labAvailable() || (fs.existsSync(path.join(REPO, "dist/cli/cgleak.cjs")) ? false : "cgleak is not built");
const KIB64 = 65536;

for (const kernel of ["6.12", "6.1"] as LabKernel[]) {
  describe(`pins at every depth on a real cgroup v2 kernel ${kernel} (qemu)`, { skip }, () => {
    let files: Record<string, string>;
    let scan: ScanReport;
    before(async () => {
      const run = await runInGuest({
        kernel,
        command: "sh $LAB_FILES/depth.sh",
        files: { "depth.sh": fs.readFileSync(path.join(REPO, "lab/v2/scenarios/depth.sh"), "utf8") },
        timeoutSeconds: 400,
      });
      assert.equal(run.rc, 0, `guest scenario failed: ${run.stderr}`);
      assert.equal(run.files["scan.rc"], undefined, `scan failed in the guest: ${run.stderr}`);
      files = run.files;
      scan = JSON.parse(run.files["scan.json"] ?? "null") as ScanReport;
    });

    const held = (name: string): { file: number; shmem: number; anon: number } => {
      const kv = new Map((files[`stat.${name}`] ?? assert.fail(`no stat.${name}`)).trim().split("\n").map((l) => l.split(" ") as [string, string]));
      return { file: Number(kv.get("file")), shmem: Number(kv.get("shmem")), anon: Number(kv.get("anon")) };
    };

    it("finds each dying memcg's pages at its nearest live ancestor, exact to the page", () => {
      const got = new Map((scan.dying.pins ?? []).filter((p) => p.subtree === "lab-d").map((p) => [p.path, { file: p.fileBytes, shmem: p.shmemBytes, anon: p.anonBytes }]));
      assert.deepEqual(got, new Map([
        ["lab-d/pod", held("c1")], // a live pod's dying container (tmpfs), beside a live one with pages of its own
        ["lab-d/a/b", held("c3")], // three levels down (ext4 page cache)
        ["lab-d", held("cx")], // a dying pod with its dying container (both)
      ]));
      assert.deepEqual([held("c1").shmem, held("c3").file, held("cx").file, held("cx").shmem], [KIB64, KIB64, 2 * KIB64, KIB64]);
      const sub = scan.subtrees.find((s) => s.path === "lab-d");
      assert.equal(sub?.pinnedBytes, held("c1").file + held("c3").file + held("cx").file);
    });
  });
}
