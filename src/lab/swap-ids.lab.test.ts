import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { labAvailable, runInGuest, REPO, type GuestResult, type LabKernel } from "./qemu.js";
import type { ReproReport } from "../actions/run-repro.js";
import type { SwapIdsReport } from "../actions/repro-swap-ids.js";

// The seed's failure by today's route, on real v2 kernels in qemu with a swap file: memcgs whose
// tmpfs pages went to swap stay dying after rmdir, and scan's bound on swap-pinned dying memcgs
// covers them. The fill to the cap, the only interface that counts the IDs they hold and shows the
// errno at the cap, runs on every kernel in `npm test` (4.5 min for the three guests here, 2 min of
// it 6.12's xarray fill); CGLEAK_LAB_FILL=0 leaves it out. lab/v2/README.md has the times and results.
const N = 20;
const FILL_ENV = process.env["CGLEAK_LAB_FILL"];
const FILL = FILL_ENV !== "0";
const skip = labAvailable() || (fs.existsSync(path.join(REPO, "dist/cli/cgleak.cjs")) ? false : "cgleak is not built");

for (const kernel of ["5.10", "6.1", "6.12"] as LabKernel[]) {
  describe(`repro --mode swap-ids on a real cgroup v2 kernel ${kernel} with swap (qemu)`, { skip }, () => {
    let run: GuestResult;
    let r: SwapIdsReport;
    const file = (name: string): string => run.files[name] ?? assert.fail(`guest wrote no ${name}: ${run.stderr}`);

    before(async () => {
      run = await runInGuest({
        kernel,
        command: `N=${N} FILL=${FILL ? 1 : 0} sh $LAB_FILES/swap-ids.sh`,
        timeoutSeconds: FILL ? 1500 : 300,
        ...(FILL ? { memMB: 4096 } : {}),
        files: { "swap-ids.sh": fs.readFileSync(path.join(REPO, "lab/v2/scenarios/swap-ids.sh"), "utf8") },
      });
      assert.equal(run.rc, 0, `guest scenario failed: ${run.stderr}`);
      assert.equal(run.files["repro.rc"], undefined, `repro failed in the guest: ${run.files["repro.err"]}`);
      const report = JSON.parse(file("repro.json")) as ReproReport;
      assert.deepEqual(report.cleanupProblems, []);
      r = report.result as SwapIdsReport;
    });

    it("booted the kernel asked for, with swap on", (t) => {
      t.diagnostic(
        `lab ${kernel}: boot ${run.bootSeconds} s, total ${run.totalSeconds} s; guest uptime at each step: ${file("times").trim().replace(/\n/g, ", ")}`,
      );
      assert.match(file("uname"), new RegExp(`^${kernel.replace(".", "\\.")}\\.`));
      assert.match(file("swaps"), /\/mnt\/ext4\/swap\s+file/);
    });

    it("the tmpfs pages of the memcgs went to swap and the memcgs stayed dying after rmdir", (t) => {
      t.diagnostic(
        `${r.reclaimedWith}; swap charged ${r.swapChargedBytes} B; dying ${r.dyingAfterRmdir}, bound ${r.boundPinnedHigh}, after delete ${r.dyingAfterDelete}`,
      );
      assert.ok((r.swapChargedBytes ?? 0) >= N * 65536 * 0.8, `swap charged ${r.swapChargedBytes} B for ${N} x 64 KiB`);
      assert.ok(r.dyingAfterRmdir >= N * 0.8, `${r.dyingAfterRmdir} of ${N} stayed dying`);
    });

    it("scan's bound on swap-pinned dying memcgs covers them, and no more than are dying", () => {
      assert.notEqual(r.boundPinnedHigh, null);
      assert.ok(
        r.boundPinnedHigh! >= r.dyingAfterRmdir,
        `bound ${r.boundPinnedHigh} < ${r.dyingAfterRmdir} swap-pinned dying`,
      );
      assert.ok(
        r.boundPinnedHigh! <= r.dyingAfterRmdir + 2,
        `bound ${r.boundPinnedHigh} loose: ${r.dyingAfterRmdir} dying below the scratch`,
      );
    });

    it("deleting the tmpfs files frees the swap entries (the ID pins) and most memcgs at once", () => {
      // Freed swap slots wait in a per-CPU return cache of 64 (SWAP_SLOTS_CACHE_SIZE = SWAP_BATCH, include/linux/swap_slots.h)
      // before they are uncharged: 256 KiB (4 memcgs x 16 pages) stayed charged on all three kernels.
      const slotCache = 64 * 4096 * 2; // 2 vCPUs
      assert.ok((r.swapAfterDeleteBytes ?? Infinity) <= slotCache, `${r.swapAfterDeleteBytes} B of swap still charged`);
      assert.ok((r.swapAfterDeleteBytes ?? 0) < (r.swapChargedBytes ?? 0) / 2);
      assert.ok(r.dyingAfterDelete <= N / 2, `${r.dyingAfterDelete} still dying after the files went`);
    });

    it("leaves no cgroup behind", () => {
      assert.equal(file("dirs.end"), file("dirs.start"));
    });

    it(
      "filled to the cap: the swap-pinned dying memcgs held IDs, the bound covers them, mkdir failed with the kernel's errno",
      {
        skip: FILL ? false : "CGLEAK_LAB_FILL=0 leaves the fill to the cap out (lab/v2/lab.sh swap-ids runs it alone)",
      },
      (t) => {
        const f = r.fill ?? assert.fail("no fill in the report");
        t.diagnostic(
          `fill: ${f.created} created in ${f.fillSeconds.toFixed(1)} s, ${f.pinnedIds} pinned, ${f.error?.code} ${f.error?.text}`,
        );
        assert.ok(f.idExhausted, `mkdir stopped by ${f.error?.code}`);
        // pinnedIds counts against 65,535; 5.10's idr_alloc(1, MEM_CGROUP_ID_MAX) hands out 1..65,534 only
        const slack = kernel === "5.10" ? 1 : 0;
        assert.ok(
          f.pinnedIds >= r.dyingAfterRmdir * 0.8 && f.pinnedIds - slack <= r.boundPinnedHigh!,
          `${f.pinnedIds} pinned, ${r.dyingAfterRmdir} dying, bound ${r.boundPinnedHigh}`,
        );
        assert.equal(f.error?.code, kernel === "6.12" ? "EBUSY" : "ENOSPC");
      },
    );
  });
}
