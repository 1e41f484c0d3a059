import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDuration } from "./duration.js";
import { formatDuration } from "../analyze/format.js";

test("duration: one parser for every flag and query, one format for every sentence", () => {
  assert.deepEqual(
    ["500ms", "30s", "10m", "24h", "7d", "2w", "1.5h", " 90 m "].map(parseDuration),
    [500, 30_000, 600_000, 86_400_000, 604_800_000, 1_209_600_000, 5_400_000, 5_400_000],
  );
  for (const bad of ["", "10", "m", "-5m", "10y", "1e3s"]) assert.equal(parseDuration(bad), undefined, bad);
  assert.deepEqual([4.24, 45, 720, 5400, 200_000].map(formatDuration), [
    "4.2 s",
    "45 s",
    "12 min",
    "1.5 h",
    "2.3 days",
  ]);
});
