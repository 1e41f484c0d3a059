import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { labAvailable, runInGuest, REPO, type GuestResult, type LabKernel } from "../lab/qemu.js";
import type { PassReport } from "./reap-report.js";

// `cgleak reap` on real cgroup v2 kernels in qemu (lab/v2): N page-cache-pinned dying memcgs
// under one live parent beside a live workload re-reading 16 MiB, then up to 3 passes of reap.
const N = 300;
const PAGE = 65536;
const HOT_MIB = 16;

const skip = labAvailable() || (fs.existsSync(path.join(REPO, "dist/cli/cgleak.cjs")) ? false : "cgleak is not built");

const SCENARIO = String.raw`
set -e
CG=/sys/fs/cgroup E=$LAB_EXT4 OUT=$LAB_OUT
mkdir -p "$E/tmp" "$E/pc" "$E/hot"; export TMPDIR=$E/tmp
# ext4 metadata warmed from the root, so each dying memcg pins its own file only (actions.sh)
for i in $(seq 1 $((N + 6))); do echo x > "$E/pc/w$i"; done; sync; rm "$E"/pc/w*; sync
mkdir $CG/reap; echo +memory > $CG/reap/cgroup.subtree_control
mkdir $CG/reap/pods; echo +memory > $CG/reap/pods/cgroup.subtree_control
mkdir $CG/reap/pods/live
sh -c "echo \$\$ > $CG/reap/pods/live/cgroup.procs; for i in \$(seq $HOT); do dd if=/dev/urandom of=$E/hot/h\$i bs=1M count=1 2>/dev/null; done; sync; touch $E/hot.ready; while :; do cat $E/hot/h* > /dev/null; sleep 0.1; done" &
W=$!
i=1; while [ ! -e $E/hot.ready ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
for i in $(seq 1 $N); do
  mkdir $CG/reap/pods/d$i
  sh -c "echo \$\$ > $CG/reap/pods/d$i/cgroup.procs && dd if=/dev/zero of=$E/pc/f$i bs=64k count=1 2>/dev/null"
  rmdir $CG/reap/pods/d$i
done
sync; sleep 2.5
cat /sys/kernel/mm/lru_gen/enabled > $OUT/lru_gen 2>/dev/null || echo none > $OUT/lru_gen
# the workload's own refaults with nobody reclaiming, over a window as long as a pass takes here
cp $CG/reap/pods/live/memory.stat $OUT/live.base0; sleep 15; cp $CG/reap/pods/live/memory.stat $OUT/live.base1
cp $CG/reap/pods/cgroup.stat $OUT/stat.before; cp $CG/reap/pods/memory.stat $OUT/pods.before; cp $CG/reap/pods/live/memory.stat $OUT/live.before
node dist/cli/cgleak.cjs reap --yes --under reap --target-dying 0 --target-pinned 0 --passes 3 --json --state-file $E/reap-state.json > $OUT/reap.json 2> $OUT/reap.err || echo $? > $OUT/reap.rc
sleep 2.1
cp $CG/reap/pods/cgroup.stat $OUT/stat.after; cp $CG/reap/pods/memory.stat $OUT/pods.after; cp $CG/reap/pods/live/memory.stat $OUT/live.after
kill $W
`;

function stat(text: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : NaN;
}

for (const kernel of ["6.12", "6.1"] as LabKernel[]) {
  describe(`reap on a real cgroup v2 kernel ${kernel} (qemu)`, { skip }, () => {
    let run: GuestResult;
    const file = (name: string): string => run.files[name] ?? assert.fail(`guest wrote no ${name}: ${run.stderr}`);

    before(async () => {
      run = await runInGuest({ kernel, command: `N=${N} HOT=${HOT_MIB} sh $LAB_FILES/reap.sh`, files: { "reap.sh": SCENARIO }, timeoutSeconds: 400 });
      assert.equal(run.rc, 0, `guest scenario failed: ${run.stderr}`);
    });

    it(`memory.reclaim in bounded steps on the live parent frees the ${N} dying memcgs and leaves the live working set`, (t) => {
      assert.equal(run.files["reap.rc"], undefined, `reap failed in the guest: ${run.files["reap.err"]}`);
      const passes = JSON.parse(file("reap.json")) as PassReport[];
      const dying = (f: string): number => { const s = file(f); const v = stat(s, "nr_dying_subsys_memory"); return Number.isNaN(v) ? stat(s, "nr_dying_descendants") : v; };
      const liveBefore = file("live.before");
      const liveAfter = file("live.after");
      const refaults = stat(liveAfter, "workingset_refault_file") - stat(liveBefore, "workingset_refault_file");
      const baseline = stat(file("live.base1"), "workingset_refault_file") - stat(file("live.base0"), "workingset_refault_file");
      t.diagnostic(`${kernel}: dying ${dying("stat.before")} -> ${dying("stat.after")}; pods file ${stat(file("pods.before"), "file")} -> ${stat(file("pods.after"), "file")}; live file ${stat(liveBefore, "file")} -> ${stat(liveAfter, "file")}, refaults ${refaults} (${baseline} in 15 s without reaping); MGLRU ${file("lru_gen").trim()}; passes ${passes.map((p) => `${p.verdict} ${p.method} freed ${p.dyingFreed} evicted ${p.liveCacheEvicted} in ${p.seconds.toFixed(1)} s`).join("; ")}`);
      assert.equal(passes[0]?.method, "memory-reclaim");
      assert.equal(passes[0]?.verdict, "acted");
      assert.ok(dying("stat.before") >= N * 0.95, `setup: ${dying("stat.before")} dying`);
      // The pinned page cache goes in the passes (the pods' file charge falls to the live set's); the
      // memcgs follow as the kernel releases them, which lags on v2 (inodes): measured 298-299 of 300
      // freed within the passes in the helper's runs, 208 (6.1) and 272 (6.12) in a CI dry run.
      assert.ok(stat(file("pods.after"), "file") <= stat(liveAfter, "file") + 1024 * 1024, `pods file ${stat(file("pods.after"), "file")}`);
      assert.ok(dying("stat.after") <= N * 0.5, `${dying("stat.after")} of ${N} still dying after ${passes.length} passes`);
      assert.ok(stat(liveAfter, "file") >= HOT_MIB * 1024 * 1024 * 0.9, `live file ${stat(liveAfter, "file")}`);
      // Measured (docs/reap.md), refaults of the 4,096-page working set, none in 15 s without
      // reaping: one memory.reclaim request per step 4,160-8,256 (6.12) and 14,710 (6.1); in
      // 32-page requests 10,624 (6.12, MGLRU) and 3,659 (6.1). Unlike the v1 limit step (0-13), v2
      // reclaim evicts the live set too. The bound: three times the working set, which the
      // single-request reaper broke on 6.1.
      assert.ok(refaults <= HOT_MIB * 256 * 3, `live refaults ${refaults} (baseline ${baseline})`);
      assert.ok(stat(file("pods.after"), "file") - stat(liveAfter, "file") <= N * PAGE * 0.05);
    });
  });
}
