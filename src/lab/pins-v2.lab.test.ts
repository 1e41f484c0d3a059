import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { labAvailable, runInGuest, REPO, type LabKernel } from "./qemu.js";
import type { ScanReport } from "../analyze/report.js";

// Pins at every depth on real cgroup v2 kernels (qemu, lab/v2/scenarios/depth.sh): each dying
// memcg's pages must be found at its nearest live ancestor (1-3 levels up, under live and dying
// pods), equal to the memory.stat it had just before removal (`file`, `shmem`, `anon`).
const skip = labAvailable() || (fs.existsSync(path.join(REPO, "dist/cli/cgleak.cjs")) ? false : "cgleak is not built");
const KIB64 = 65536;
/** The dying leaves of lab/v2/scenarios/depth.sh and the page cache and shmem each wrote. */
const LEAVES = ["c1", "x2", "y3", "c3", "cx", "sub"];
/** Where each leaf's pages must be found: its nearest live ancestor. */
const PIN_OF: Array<[string, string]> = [
  // live pods, beside a live container with pages of its own: tmpfs 1, ext4 2, both 3 levels down
  ["lab-d/pod", "c1"],
  ["lab-d/pod2", "x2"],
  ["lab-d/pod3", "y3"],
  ["lab-d/a/b", "c3"], // live parents, no pod
  ["lab-d", "cx"], // a dying pod with its dying container (both kinds)
  ["lab-d/q", "sub"], // a dying pod, its container and a cgroup of the container's (tmpfs)
];
const WRITTEN = [
  [KIB64, KIB64],
  [KIB64, 0],
  [3 * KIB64, KIB64],
  [KIB64, 0],
  [3 * KIB64, KIB64],
  [KIB64, KIB64],
];

for (const kernel of ["6.12", "6.1", "5.10"] as LabKernel[]) {
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
      const kv = new Map(
        (files[`stat.${name}`] ?? assert.fail(`no stat.${name}`))
          .trim()
          .split("\n")
          .map((l) => l.split(" ") as [string, string]),
      );
      return { file: Number(kv.get("file")), shmem: Number(kv.get("shmem")), anon: Number(kv.get("anon")) };
    };

    const stat = (n: string): number[] => [held(n).file, held(n).shmem];
    it("finds each dying memcg's pages at its nearest live ancestor, 1-3 levels up, exact to its memory.stat", () => {
      const got = new Map(
        (scan.dying.pins ?? [])
          .filter((p) => p.subtree === "lab-d")
          .map((p) => [p.path, { file: p.fileBytes, shmem: p.shmemBytes, anon: p.anonBytes }]),
      );
      const want = new Map(
        PIN_OF.map(([at, leaf]) => [at, held(leaf)] as const).filter(([, h]) => h.file + h.shmem + h.anon > 0),
      ); // nothing shown: no pin
      assert.deepEqual(got, want);
      const sub = scan.subtrees.find((s) => s.path === "lab-d");
      assert.equal(
        sub?.pinnedBytes,
        LEAVES.reduce((n, x) => n + held(x).file, 0),
      );
    });

    const batched = kernel === "5.10" && "5.10 batches memcg statistics";
    it("memory.stat shows every page written (rstat flushes it in full every 2 s)", { skip: batched }, () => {
      assert.deepEqual(LEAVES.map(stat), WRITTEN);
      assert.ok(held("live").file > 0, "the live containers have pages of their own, not counted");
    });

    // Before rstat (2d146aa3aa84, 5.13) a memcg's counters are per-CPU deltas folded into it and its
    // ancestors only past MEMCG_CHARGE_BATCH (32 pages) and at free, never at offline: what fewer
    // pages a dying memcg holds is invisible to any reader, so pins there are exact to what the
    // kernel shows, and no closer to the pages.
    it("5.10 hides up to 32 pages per CPU of a memcg from memory.stat", { skip: kernel !== "5.10" && "5.10" }, () => {
      const shown = LEAVES.map(stat);
      assert.ok(
        shown.every(([f, s], i) => f! <= WRITTEN[i]![0]! && s! <= WRITTEN[i]![1]!),
        JSON.stringify(shown),
      );
      assert.deepEqual(stat("c1"), [0, 0], "64 KiB of tmpfs (16 pages) stays in the per-CPU delta");
    });
  });
}
