import { test } from "node:test";
import assert from "node:assert/strict";
import { idUse } from "./ids.js";
import type { Rule } from "../knowledge/kernel-model.js";

const frees: Rule<boolean> = { value: false, source: "73f576c04b94", reason: "4.8+" };

test("with swap on and no bound, every dying memcg may hold an ID", () => {
  const u = idUse(1000, 500, frees, true);
  assert.deepEqual([u.usedLow, u.usedHigh], [1000, 1500]);
});

test("the swap bound tightens the high end, never below live nor above live + dying", () => {
  assert.deepEqual(
    [idUse(1000, 500, frees, true, undefined, 20).usedLow, idUse(1000, 500, frees, true, undefined, 20).usedHigh],
    [1000, 1020],
  );
  assert.equal(idUse(1000, 500, frees, true, undefined, 0).usedHigh, 1000);
  assert.equal(idUse(1000, 500, frees, true, undefined, 9000).usedHigh, 1500);
  assert.equal(idUse(1000, 500, frees, true, undefined, null).usedHigh, 1500);
  assert.match(idUse(1000, 500, frees, true, undefined, 20).basis, /at most 20 of 500 dying/);
});

test("without swap the bound is not needed: only live memcgs hold IDs", () => {
  assert.equal(idUse(1000, 500, frees, false, undefined, 20).usedHigh, 1000);
});
