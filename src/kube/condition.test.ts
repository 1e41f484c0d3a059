import { test } from "node:test";
import assert from "node:assert/strict";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../scan.js";
import { fixtureRoot } from "../testing/fixtures.js";
import { desiredFrom } from "./condition.js";

const scan = (name: string) =>
  runScan(new Host(fixtureRoot(name)), { thresholds: DEFAULT_THRESHOLDS, deep: "auto", emptyMinAgeMs: 600_000 });

test("condition: a healthy node the reaper keeps healthy says so; without a reaper, or before it frees anything, it does not", () => {
  const ok = scan("hybrid-v1-memory");
  assert.equal(ok.status.level, "ok");
  const kept = desiredFrom(ok, undefined, 0, { dyingFreed: 1200, lastActedAt: "2026-12-02T18:00:00Z" });
  assert.equal(kept.status, "False");
  assert.equal(kept.reason, "MemcgKeptHealthyByReaper");
  assert.match(
    kept.message,
    /cgleak serve --reap has freed 1,200 dying memcgs since it started \(last at 2026-12-02T18:00:00Z\): the reaper keeps this node healthy\.$/,
  );
  assert.equal(desiredFrom(ok, undefined, 0, null).reason, "MemcgHealthy");
  assert.equal(desiredFrom(ok, undefined, 0, { dyingFreed: 0, lastActedAt: null }).reason, "MemcgHealthy");
});

test("condition: on a node that is not healthy the reaper's work is told, the reason stays the assessment's", () => {
  const bad = scan("el7.9-cap-kmem-nopagecache");
  const d = desiredFrom(bad, undefined, 0, { dyingFreed: 50, lastActedAt: null });
  assert.equal(d.status, "True");
  assert.equal(d.reason, "MemcgIdsHeldUntilReboot");
  assert.match(d.message, /freed 50 dying memcgs since it started\.$/);
  assert.match(d.message, new RegExp(bad.assessment.remedy.sentence.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
});
