import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { needsRootMemcgV1, MEMCG_V1 } from "../testing/kernel.js";
import { fill, fillCostBytes, type FillFs } from "./fill.js";
import { runRepro } from "./run-repro.js";

const skip = needsRootMemcgV1();

/** Real mkdirs that start failing with EBUSY after `cap`, as the xarray allocator does at 65535. */
function cappedFs(cap: number): FillFs & { made: () => number } {
  let made = 0;
  return {
    mkdir: (p) => {
      if (made >= cap)
        throw Object.assign(new Error(`EBUSY: resource busy or locked, mkdir '${p}'`), { code: "EBUSY", errno: -16 });
      fs.mkdirSync(p);
      made++;
    },
    rmdir: (p) => fs.rmdirSync(p),
    made: () => made,
  };
}

test("fill captures the errno that stopped it and removes everything at once", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-fill-"));
  try {
    const io = cappedFs(1500);
    const r = fill(dir, Infinity, undefined, io);
    assert.equal(r.created, 1500);
    assert.equal(r.stoppedBy, "errno");
    assert.deepEqual(r.error, { code: "EBUSY", errno: 16, text: "Device or resource busy", path: `${dir}/c1501` });
    assert.equal(r.removed, 1500);
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("fill prices its memcgs at the measured 27 KB each", () => {
  assert.equal(fillCostBytes(65_000), 65_000 * 27_000);
});

test("repro fill --limit 2000 runs the loop on real memcgs and removes them all", { skip }, async () => {
  const notes: string[] = [];
  const r = await runRepro(new Host("/"), {
    mode: "fill",
    limit: 2000,
    blockNode: true,
    yes: false,
    say: (l) => notes.push(l),
  });
  assert.ok(!("refused" in r), JSON.stringify(r));
  if ("refused" in r || r.result.mode !== "fill") return;
  assert.equal(r.result.created, 2000);
  assert.equal(r.result.stoppedBy, "limit");
  assert.equal(r.result.removed, 2000);
  assert.deepEqual(r.cleanupProblems, []);
  assert.match(notes[0] ?? "", /about \d+ MiB of memory \(~27 KB each, measured\)/);
  assert.equal(fs.existsSync(`${MEMCG_V1}${r.scratch.slice(r.scratch.lastIndexOf("/"))}`), false);
});

test("repro fill refuses without --i-understand-this-blocks-the-node", { skip }, async () => {
  const r = await runRepro(new Host("/"), { mode: "fill", blockNode: false, yes: true, say: () => {} });
  assert.ok("refused" in r && /--i-understand-this-blocks-the-node/.test(r.refused));
});
