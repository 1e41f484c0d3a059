import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { boundSwapPinnedIds } from "./swap-ids.js";
import type { CgroupHierarchy } from "./mounts.js";

const V2: CgroupHierarchy = { version: 2, mountPoint: "/sys/fs/cgroup", root: "/", controllers: [] };

/** A v2 tree as files: each cgroup is [dying descendants, memory.swap.current or null]. */
function tree(swapUsedKiB: number, cgroups: Record<string, [number, number | null]>): Host {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-swapids-"));
  fs.mkdirSync(`${root}/proc`);
  fs.writeFileSync(`${root}/proc/meminfo`, `SwapTotal: 1048576 kB\nSwapFree: ${1048576 - swapUsedKiB} kB\n`);
  for (const [rel, [dying, swap]] of Object.entries(cgroups)) {
    const dir = path.join(root, "sys/fs/cgroup", rel);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(`${dir}/cgroup.stat`, `nr_descendants 0\nnr_dying_descendants ${dying}\n`);
    if (rel !== "" && swap !== null) fs.writeFileSync(`${dir}/memory.swap.current`, `${swap}\n`);
    if (rel !== "") fs.writeFileSync(`${dir}/memory.current`, "0\n");
  }
  return new Host(root);
}

test("dying memcgs under a live parent with no unexplained swap hold no ID", () => {
  // 500 dying below kubepods/pod-a, whose swap is all its live container's
  const h = tree(64, {
    "": [500, null],
    kubepods: [500, 65536],
    "kubepods/pod-a": [500, 65536],
    "kubepods/pod-a/ctr": [0, 65536],
  });
  assert.equal(boundSwapPinnedIds(h, V2)?.pinnedHigh, 0);
});

test("the bound is the swap pages no live child holds, capped by the dying count there", () => {
  // pod-a: 3 pages its live children do not hold, 10 dying; pod-b: 1 GiB unexplained, 4 dying
  const h = tree(1 << 20, {
    "": [14, null],
    kubepods: [14, 12288 + (1 << 30) - (64 << 10)],
    "kubepods/pod-a": [10, 12288],
    "kubepods/pod-b": [4, (1 << 30) - (64 << 10)],
  });
  assert.equal(boundSwapPinnedIds(h, V2)?.pinnedHigh, 3 + 4);
});

test("dying memcgs at the top level are bounded by the swap in use that no top-level cgroup holds", () => {
  const h = tree(8, { "": [5, null], "system.slice": [0, 4096] });
  assert.equal(boundSwapPinnedIds(h, V2)?.pinnedHigh, 1); // 8 KiB used, 4 KiB explained: one page
});

test("no bound where a memcg has no memory.swap.current (swap accounting off) or on v1", () => {
  const h = tree(64, { "": [2, null], a: [2, null] });
  assert.equal(boundSwapPinnedIds(h, V2), null);
  assert.equal(boundSwapPinnedIds(h, { ...V2, version: 1 }), null);
});
