import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { spawnSync } from "node:child_process";
import { Host } from "../host/host.js";
import { DyingTracer, memoryHierarchyId } from "./dying-tracer.js";
import { DyingSet, type SetChange } from "../analyze/dying-set.js";
import { MEMCG_V1, needsRootMemcgV1, uniqueName, runInCgroup, removeCgroupTree } from "../testing/kernel.js";

const skip = needsRootMemcgV1();
const HOST = new Host("/");

/** Polls the tracer until `done` holds or `ms` pass; returns whether it held. */
async function until(tracer: DyingTracer, done: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    tracer.poll();
    if (done()) return true;
  }
  tracer.poll();
  return done();
}

test(
  "names exactly the memcgs pinned by page cache as dying; empty ones are released; pinned ones after rm + drop_caches",
  { skip },
  async () => {
    const name = uniqueName("trace");
    const parent = `${MEMCG_V1}/${name}`;
    const files = `/tmp/${name}`;
    const tracer = new DyingTracer(HOST, new DyingSet(memoryHierarchyId(HOST)));
    const released = new Set<string>();
    tracer.on("change", (c: SetChange) => {
      if (c.type === "released") released.add(c.cgroup.path);
    });
    const pinned = ["p0", "p1", "p2"].map((c) => `/${name}/${c}`);
    const empty = ["e0", "e1", "e2"].map((c) => `/${name}/${c}`);
    try {
      fs.mkdirSync(files);
      fs.mkdirSync(parent);
      tracer.start();
      const before = Date.now();
      for (const p of [...pinned, ...empty]) fs.mkdirSync(`${MEMCG_V1}${p}`);
      pinned.forEach((p, i) =>
        runInCgroup(`${MEMCG_V1}${p}`, `dd if=/dev/zero of=${files}/f${i} bs=64k count=4 2>/dev/null`),
      );
      for (const p of empty) runInCgroup(`${MEMCG_V1}${p}`, "true");
      for (const p of [...pinned, ...empty]) fs.rmdirSync(`${MEMCG_V1}${p}`);
      const after = Date.now();
      const mine = () => tracer.dyingSet().filter((c) => c.path.startsWith(`/${name}/`));
      assert.ok(
        await until(tracer, () => empty.every((p) => released.has(p)), 5000),
        `empty memcgs released: ${[...released]}`,
      );
      assert.deepEqual(
        mine()
          .map((c) => c.path)
          .sort(),
        pinned,
      );
      for (const c of mine())
        assert.ok(
          c.rmdirAt >= before - 50 && c.rmdirAt <= after + 50,
          `rmdir time ${c.rmdirAt} in [${before}, ${after}]`,
        );
      fs.rmSync(files, { recursive: true, force: true });
      const freed = async () => {
        spawnSync("sync");
        fs.writeFileSync("/proc/sys/vm/drop_caches", "1");
        return until(tracer, () => mine().length === 0, 5000);
      };
      assert.ok((await freed()) || (await freed()), `still dying: ${mine().map((c) => c.path)}`);
      assert.ok(pinned.every((p) => released.has(p)));
    } finally {
      tracer.stop();
      removeCgroupTree(parent);
      fs.rmSync(files, { recursive: true, force: true });
    }
  },
);

test("detects events the kernel dropped when the ring buffer overflows", { skip }, () => {
  const parent = `${MEMCG_V1}/${uniqueName("lost")}`;
  // A 4 KiB buffer read only once: 3,000 mkdir + rmdir (+ release) overflow it.
  const tracer = new DyingTracer(HOST, new DyingSet(memoryHierarchyId(HOST)), {
    pollMs: 600_000,
    statsEveryMs: 0,
    bufferKb: 4,
  });
  let reported = 0;
  tracer.on("lost", (l: { count: number }) => (reported += l.count));
  try {
    fs.mkdirSync(parent);
    tracer.start();
    for (let i = 0; i < 3000; i++) {
      fs.mkdirSync(`${parent}/c${i}`);
      fs.rmdirSync(`${parent}/c${i}`);
    }
    tracer.poll();
    assert.ok(reported > 0, "a lost event was reported");
    assert.equal(tracer.set.lostEvents, reported);
    assert.ok(
      tracer.linesRead + reported >= 3000 * 2,
      `read ${tracer.linesRead} + lost ${reported} cover the 6,000 mkdir/rmdir`,
    );
    assert.notEqual(tracer.set.lastLossAt, null);
  } finally {
    tracer.stop();
    removeCgroupTree(parent);
  }
});
