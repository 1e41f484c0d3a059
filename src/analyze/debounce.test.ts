import { test } from "node:test";
import assert from "node:assert/strict";
import { settledDying } from "./debounce.js";

test("settled dying: the smallest reading over the window bounds the memcgs dying through all of it", () => {
  const r = [
    { t: 0, dying: 40 },
    { t: 30_000, dying: 10 },
    { t: 60_000, dying: 500 },
    { t: 90_000, dying: 520 },
  ];
  // Window 60 s back from 90 s: the reading at 30 s is the count at its start; 10 stay at most.
  assert.deepEqual(settledDying(r, 90_000, 60_000), { count: 10, windowSeconds: 60, readings: 4 });
  assert.deepEqual(
    settledDying(r, 100_000, 60_000),
    { count: 10, windowSeconds: 60, readings: 3 },
    "the 30 s reading still holds at the window's start (40 s)",
  );
  // The burst of removals at 60 s counts once it has lasted the window (the 60 s reading holds at its start, 90 s).
  assert.equal(settledDying(r, 150_000, 60_000)?.count, 500);
});

test("settled dying: unknown until the readings cover the window, and null readings (v1 cheap ticks) are skipped", () => {
  assert.equal(settledDying([{ t: 50_000, dying: 5 }], 90_000, 60_000), null);
  assert.equal(
    settledDying(
      [
        { t: 0, dying: null },
        { t: 80_000, dying: 3 },
      ],
      90_000,
      60_000,
    ),
    null,
  );
  assert.equal(
    settledDying(
      [
        { t: 0, dying: 7 },
        { t: 80_000, dying: null },
      ],
      90_000,
      60_000,
    )?.count,
    7,
  );
});
