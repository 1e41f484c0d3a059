import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { labAvailable, runInGuest, REPO, type GuestResult, type LabKernel } from "./qemu.js";
import type { ScanReport } from "../analyze/report.js";

// `cgleak scan` against real cgroup v2 kernels booted in qemu (lab/v2): one boot per kernel,
// where lab/v2/scenarios/dying.sh makes known live and dying memcgs, then runs the scan.
const DYING_EXT4 = 4;
const DYING_TMPFS = 3;
const PAGE_BYTES = 65536; // each dying memcg wrote one 64 KiB file
// root, lab-a, lab-b, lab-c, lab-a/live1..3, lab-b/live1..2
const LIVE = 9;
const DIRS = ["lab-a", "lab-a/live1", "lab-a/live2", "lab-a/live3", "lab-b", "lab-b/live1", "lab-b/live2", "lab-c"];

const skip = labAvailable() || (fs.existsSync(path.join(REPO, "dist/cli/cgleak.cjs")) ? false : "cgleak is not built");

function scenario(): Record<string, string> {
  const dir = path.join(REPO, "lab/v2/scenarios");
  return Object.fromEntries(["dying.sh", "zombie.sh"].map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

for (const kernel of ["6.12", "6.1"] as LabKernel[]) {
  describe(`scan on a real cgroup v2 kernel ${kernel} (qemu)`, { skip }, () => {
    let run: GuestResult;
    let scan: ScanReport;
    const stat = (name: string): Map<string, number> => {
      const text = run.files[`cgroup.stat.${name}`] ?? assert.fail(`guest wrote no cgroup.stat.${name}`);
      return new Map(
        text
          .trim()
          .split("\n")
          .map((l) => [l.split(" ")[0]!, Number(l.split(" ")[1])]),
      );
    };
    const subtree = (p: string) => scan.subtrees.find((s) => s.path === p) ?? assert.fail(`no subtree ${p}`);

    before(async () => {
      run = await runInGuest({
        kernel,
        // The trailing cat checks the serial channel against the ext4 one.
        command: `DYING_EXT4=${DYING_EXT4} DYING_TMPFS=${DYING_TMPFS} sh $LAB_FILES/dying.sh && cat $LAB_OUT/dirs`,
        files: scenario(),
        timeoutSeconds: 150,
      });
      assert.equal(run.rc, 0, `guest scenario failed: ${run.stderr}`);
      assert.equal(run.files["scan.rc"], undefined, `scan failed in the guest: ${run.stderr}`);
      scan = JSON.parse(run.files["scan.json"] ?? "null") as ScanReport;
    });

    it("booted the kernel asked for, cgroup v2 only", (t) => {
      t.diagnostic(`lab ${kernel}: boot ${run.bootSeconds} s, total ${run.totalSeconds} s`);
      assert.match(scan.kernel.release, new RegExp(`^${kernel.replace(".", "\\.")}\\.`));
      assert.equal(scan.cgroup.mode, "v2");
      assert.equal(scan.cgroup.memoryVersion, 2);
    });

    it("the guest held what the scenario made, before and after the scan", () => {
      // Ground truth from the kernel: the scenario did what it meant, and nothing changed meanwhile.
      assert.equal(stat("root").get("nr_dying_descendants"), DYING_EXT4 + DYING_TMPFS + 1);
      for (const name of ["root", "lab-a", "lab-b", "lab-c"]) {
        assert.deepEqual(stat(`after.${name}`), stat(name), `cgroup.stat of ${name} changed during the scan`);
      }
      assert.deepEqual(run.files["dirs"]?.trim().split("\n"), DIRS);
    });

    it("brings the command's stdout back over the serial console, byte for byte", () => {
      assert.equal(run.stdout, run.files["dirs"]);
    });

    it("counts live memcgs and dying ones per subtree exactly", () => {
      assert.equal(scan.memcg.live, LIVE);
      assert.equal(scan.memcg.vanishedDuringWalk, 0);
      assert.deepEqual(pick(subtree("lab-a")), { live: 4, dying: DYING_EXT4 });
      assert.deepEqual(pick(subtree("lab-b")), { live: 3, dying: DYING_TMPFS });
    });

    it(
      kernel === "6.12"
        ? "uses nr_dying_subsys_memory, which leaves out dying non-memcgs"
        : "falls back to nr_dying_descendants, which also counts the dying non-memcg",
      () => {
        const memcgs = DYING_EXT4 + DYING_TMPFS;
        if (kernel === "6.12") {
          assert.equal(stat("root").get("nr_dying_subsys_memory"), memcgs);
          assert.match(scan.memcg.dyingSource, /nr_dying_subsys_memory/);
          assert.equal(scan.memcg.dying, memcgs);
          assert.equal(scan.memcg.kernelTotal, LIVE + memcgs);
          assert.equal(subtree("lab-c").dying, 0);
        } else {
          assert.equal(stat("root").has("nr_dying_subsys_memory"), false);
          assert.match(scan.memcg.dyingSource, /nr_dying_descendants/);
          assert.equal(scan.memcg.dying, memcgs + 1);
          assert.equal(subtree("lab-c").dying, 1);
        }
      },
    );

    it(
      kernel === "6.12"
        ? "counts dying cgroups per controller: the zombie's pids, cpu and perf_event, not memory"
        : "counts the dying cgroups of the whole hierarchy before 6.12, and says so",
      () => {
        const cs = scan.controllers ?? [];
        const by = new Map(cs.map((c) => [c.name, c.dying]));
        const memcgs = DYING_EXT4 + DYING_TMPFS;
        if (kernel === "6.12") {
          assert.deepEqual(
            ["memory", "pids", "cpu", "perf_event"].map((n) => by.get(n)),
            [memcgs, 1, 1, 1],
          );
          return;
        }
        assert.deepEqual([...by], [["cgroup2", memcgs + 1]]);
        assert.match(cs[0]?.source ?? "", /whole v2 hierarchy.*per-controller counts need 6\.12/);
      },
    );

    it("reports the bytes dying memcgs pin, ext4 page cache and tmpfs alike, not the live ones'", () => {
      assert.equal(subtree("lab-a").pinnedBytes, DYING_EXT4 * PAGE_BYTES);
      assert.equal(subtree("lab-b").pinnedBytes, DYING_TMPFS * PAGE_BYTES);
      assert.equal(subtree("lab-c").pinnedBytes, 0);
      assert.equal(scan.dying.pinnedBytes, (DYING_EXT4 + DYING_TMPFS) * PAGE_BYTES);
    });

    it("frees them as measured on v2: not by dropping page cache, by dropping pages and inodes or deleting the tmpfs files", () => {
      const free = (step: string) => run.files[`free.${step}`]?.trim();
      assert.equal(free("drop1"), `${DYING_EXT4} ${DYING_TMPFS}`, "echo 1 > drop_caches");
      assert.equal(free("sync-drop3"), `0 ${DYING_TMPFS}`, "sync; echo 3 > drop_caches");
      assert.equal(free("rm-tmpfs"), "0 0", "rm of the tmpfs files");
      const after = JSON.parse(run.files["scan.after-free.json"] ?? "null") as ScanReport;
      assert.equal(after.memcg.dying, kernel === "6.12" ? 0 : 1); // 6.1's fallback still counts the zombie's cgroup
      assert.equal(after.dying.pinnedBytes, 0);
    });
  });
}

function pick(s: { live: number; dying: number | null }): { live: number; dying: number | null } {
  return { live: s.live, dying: s.dying };
}
