import { test } from "node:test";
import assert from "node:assert/strict";
import * as os from "node:os";
import { Host } from "../host/host.js";
import { collectNode } from "../collect/node.js";
import { needsRootMemcgV1 } from "../testing/kernel.js";
import { kernelModel } from "../knowledge/kernel-model.js";
import { Scratch } from "./scratch.js";
import { reproKmemFork, runInside } from "./repro.js";
import { rmdirRetry } from "./rmdir.js";
import { reproPin } from "./repro-pin.js";
import { reclaim, measure } from "./reclaim.js";
import { settledDying } from "./dying.js";

const skip = needsRootMemcgV1();
const host = new Host("/");

function scratch(): Scratch {
  const h = collectNode(host).memory;
  if (h === null) throw new Error("no memory hierarchy");
  return new Scratch(host, h, "test"); // cgleak-test-<pid>-<rand>
}

test("repro page-cache finds the leaks and reports which release actions free them", { skip }, async () => {
  const s = scratch();
  try {
    const n = 40;
    const r = await reproPin(s, "page-cache", n, [
      "delete-files",
      "force-empty-before-rmdir",
      "force-empty-parent",
      "memory-reclaim",
    ]);
    const by = new Map(r.outcomes.map((o) => [o.action, o]));
    for (const a of ["delete-files", "force-empty-parent"] as const) {
      const o = by.get(a)!;
      assert.ok(o.leaked >= n * 0.8, `${a}: ${o.leaked} of ${n} leaked`);
      assert.equal(o.effect, "frees them", `${a}: freed ${o.freed} of ${o.leaked}`);
      assert.ok(o.pinnedBefore! >= n * 65536 * 0.8, `${a}: ${o.pinnedBefore} bytes pinned`);
    }
    assert.equal(by.get("force-empty-before-rmdir")!.effect, "prevents the leak");
    assert.equal(by.get("memory-reclaim")!.applicable, false); // v1 has no memory.reclaim
  } finally {
    assert.deepEqual(s.cleanup(), []);
  }
});

test(
  "reclaim --drop-caches frees the page-cache leaks: dying back to the start, pinned to zero",
  { skip },
  async () => {
    const s = scratch();
    try {
      const n = 40;
      const start = await settledDying(s.host, s.h);
      const parent = s.mkdir("p");
      for (let i = 1; i <= n; i++) {
        const dir = s.mkdir(`p/c${i}`);
        runInside(dir, 'head -c 65536 /dev/zero > "$2"', `${s.tmp}/f${i}`);
        rmdirRetry(dir);
      }
      void parent;
      const pinnedBefore = measure(s.host, s.h, `${s.rel}/p`).pinnedBytes;
      const r = reclaim(s.host, s.h, { kind: "drop-caches" });
      assert.ok(r.before.dying - start >= n * 0.8, `leaked ${r.before.dying - start} of ${n}`);
      assert.ok(pinnedBefore! >= n * 65536 * 0.8, `pinned ${pinnedBefore} before`);
      assert.ok(r.after.dying - start <= n * 0.1, `dying ${start} at start, ${r.after.dying} after reclaim`);
      assert.equal(measure(s.host, s.h, `${s.rel}/p`).pinnedBytes, 0);
    } finally {
      assert.deepEqual(s.cleanup(), []);
    }
  },
);

test("repro kmem-fork reports what the kernel model predicts for this kernel", { skip }, async (t) => {
  const predicted = kernelModel(os.release()).kmemForkLeak.value;
  if (predicted === "unknown") return t.skip(`the kernel model cannot place ${os.release()}`);
  const expected = predicted ? "leaks" : "does not leak";
  let verdict = "";
  for (let attempt = 0; attempt < 2 && verdict !== expected; attempt++) {
    const s = scratch();
    try {
      const r = await reproKmemFork(s, 60);
      verdict = r.verdict;
      assert.match(r.sentence, /^this kernel leaks \d+ of 60 memcgs under kmem and fork/);
      assert.ok(r.evidence.some((e) => e.includes("memory.kmem.limit_in_bytes")));
    } finally {
      assert.deepEqual(s.cleanup(), []);
    }
  }
  assert.equal(verdict, expected);
});
