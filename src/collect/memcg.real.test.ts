import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../scan.js";
import type { ScanReport } from "../analyze/report.js";
import { walkCgroupDirs } from "../host/walk.js";
import {
  MEMCG_V1,
  needsRootMemcgV1,
  removeCgroupTree,
  runInCgroup,
  syncAndDropCaches,
  uniqueName,
} from "../testing/kernel.js";
import { runCli } from "../testing/fixtures.js";

const skip = needsRootMemcgV1();
const NAME = uniqueName("scan");
const P = path.join(MEMCG_V1, NAME);
const FILES = fs.mkdtempSync(path.join(os.tmpdir(), `${NAME}-`));
const WRITE = 64 * 1024;

after(() => {
  fs.rmSync(FILES, { recursive: true, force: true });
  if (skip) return;
  syncAndDropCaches();
  removeCgroupTree(P);
});

const scan = (): ScanReport =>
  runScan(new Host("/"), { thresholds: DEFAULT_THRESHOLDS, deep: false, emptyMinAgeMs: 0 });
const ours = (r: ScanReport) => r.subtrees.find((s) => s.path === NAME);

/**
 * The machine's control process makes and removes memcgs all the time, so a delta is measured
 * around one change, and measured once more if the noise moved it.
 */
function delta(change: () => void, pick: (r: ScanReport) => number, expected: number, undo?: () => void): number {
  for (let attempt = 0; ; attempt++) {
    const before = pick(scan());
    change();
    const got = pick(scan()) - before;
    if (got === expected || attempt === 1) return got;
    undo?.();
  }
}

test("scan on the real kernel: 200 new memcgs raise live by exactly 200", { skip }, () => {
  fs.mkdirSync(P);
  const make = () => {
    for (let i = 1; i <= 200; i++) fs.mkdirSync(path.join(P, `c${i}`));
  };
  const unmake = () => {
    for (let i = 1; i <= 200; i++) fs.rmdirSync(path.join(P, `c${i}`));
  };
  assert.equal(
    delta(make, (r) => r.memcg.live, 200, unmake),
    200,
  );
  assert.equal(ours(scan())?.live, 201);
});

test(
  "scan on the real kernel: 25 memcgs that wrote page cache become 25 dying, pinning what they wrote",
  { skip },
  () => {
    // The files and their blocks exist before the writers run (written with O_DIRECT, so no page
    // cache): the writers are charged for their data pages only, not for ext4 metadata.
    const made = spawnSync("sh", [
      "-c",
      `for i in $(seq 1 50); do dd if=/dev/zero of=${FILES}/f$i bs=${WRITE} count=1 oflag=direct 2>/dev/null || exit 1; done; sync`,
    ]);
    assert.equal(made.status, 0);
    // The writers' sh and dd must not be charged for their own binaries' pages (read anew after an
    // earlier test dropped caches): run them once here first.
    spawnSync("sh", ["-c", `echo $$ > /dev/null && dd if=/dev/zero of=/dev/null bs=${WRITE} count=1 2>/dev/null`]);
    const kill = (from: number) => {
      for (let i = from; i < from + 25; i++) {
        const cg = path.join(P, `c${i}`);
        runInCgroup(
          cg,
          `dd if=/dev/zero of=${FILES}/f${i} bs=${WRITE} count=1 conv=notrunc 2>/dev/null; echo $$ > ${P}/cgroup.procs`,
        );
        fs.rmdirSync(cg);
      }
    };
    let got = { dying: 0, live: 0, total: 0 };
    let killed = 0;
    for (const from of [1, 26]) {
      const before = scan();
      kill(from);
      killed += 25;
      const now = scan();
      got = {
        dying: now.memcg.dying - before.memcg.dying,
        live: now.memcg.live - before.memcg.live,
        total: now.memcg.kernelTotal - before.memcg.kernelTotal,
      };
      if (got.dying === 25 && got.total === 0) break;
    }
    assert.deepEqual(got, { dying: 25, live: -25, total: 0 });
    const r = scan();
    assert.equal(ours(r)?.live, 201 - killed);
    assert.equal(ours(r)?.pinnedBytes, killed * WRITE);
  },
);

test("walkCgroupDirs() on the real kernel skips and counts a cgroup removed mid-walk", { skip }, () => {
  const W = path.join(P, "walk");
  for (const d of ["x/y", "a/b"]) fs.mkdirSync(path.join(W, d), { recursive: true });
  let removed = "";
  const seen: string[] = [];
  const stats = walkCgroupDirs(W, (e) => {
    seen.push(e.rel);
    if (removed === "" && (e.rel === "x" || e.rel === "a")) {
      removed = e.rel === "x" ? "a" : "x";
      const child = removed === "a" ? "b" : "y";
      fs.rmdirSync(path.join(W, removed, child));
      fs.rmdirSync(path.join(W, removed));
    }
  });
  assert.equal(stats.vanished, 1);
  assert.ok(!seen.includes(`${removed}/${removed === "a" ? "b" : "y"}`));
});

test(
  "scan of the real host needs no root: the same counts as nobody",
  { skip: skip || (os.userInfo().uid !== 0 && "needs root to switch to nobody") },
  () => {
    const asRoot = JSON.parse(runCli(["scan", "--json"]).stdout) as ScanReport;
    const r = runCliAs(65534, ["scan", "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const asNobody = JSON.parse(r.stdout) as ScanReport;
    assert.equal(asNobody.ids.cap, asRoot.ids.cap);
    assert.ok(
      Math.abs(asNobody.memcg.live - asRoot.memcg.live) < 50,
      "same tree, give or take the control process's churn",
    );
  },
);

import { spawnSync } from "node:child_process";
import { CLI } from "../testing/fixtures.js";
function runCliAs(uid: number, args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", uid, gid: uid, cwd: "/" });
}
