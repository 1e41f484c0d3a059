import { test } from "node:test";
import * as assert from "node:assert/strict";
import { DyingSet, groupByWorkload, dyingBeforeTracing } from "./dying-set.js";
import { parseTraceText, type CgroupTraceEvent } from "../parsers/trace-event.js";

// The docs/lab-results.md §5 sequence: c1 wrote page cache, c2 was empty; plus a v2 (root=0) twin to filter out.
const TRACE = `
mkdir-23964 [001] ..... 2211.000100: cgroup_mkdir: root=4 id=7065030 level=2 path=/ceo-tr/c1
mkdir-23964 [001] ..... 2211.000200: cgroup_mkdir: root=0 id=25 level=2 path=/ceo-tr/c1
rmdir-23969 [001] ..... 2211.040433: cgroup_rmdir: root=4 id=7065030 level=2 path=/ceo-tr/c1
rmdir-23969 [001] ..... 2211.040477: cgroup_rmdir: root=4 id=7065063 level=2 path=/ceo-tr/c2
rmdir-23969 [001] ..... 2211.040500: cgroup_rmdir: root=0 id=25 level=2 path=/ceo-tr/c1
kworker/1:3-99 [001] ..... 2211.079987: cgroup_release: root=4 id=7065063 level=2 path=/ceo-tr/c2
kworker/1:3-99 [001] ..... 2211.080000: cgroup_release: root=4 id=42 level=1 path=/old
`;

function events(): CgroupTraceEvent[] {
  return parseTraceText(TRACE).filter((e): e is CgroupTraceEvent => e.kind === "cgroup");
}

test("keeps removed-not-released cgroups of its hierarchy only, with lifetimes and unnamed releases", () => {
  const set = new DyingSet(4);
  const changes = events().map((e) => set.apply(e, e.ts * 1000)?.type ?? null);
  assert.deepEqual(changes, [null, null, "dying", "dying", null, "released", "released-unnamed"]);
  assert.deepEqual(
    set.list().map((c) => [c.id, c.path]),
    [[7065030, "/ceo-tr/c1"]],
  );
  assert.equal(Math.round((set.list()[0]!.rmdirAt - set.list()[0]!.createdAt!) * 1000), 40333);
  assert.equal(set.releasedUnnamed, 1);
  const c2 = new DyingSet(4);
  const lifetimes = events()
    .map((e) => c2.apply(e, e.ts * 1000))
    .flatMap((c) => (c?.type === "released" ? [c.lifetimeMs] : []));
  assert.equal(lifetimes.length, 1);
  assert.ok(Math.abs(lifetimes[0]! - 39.51) < 0.01);
});

test("groups by workload with ages, most first", () => {
  const mk = (path: string, rmdirAt: number) => ({ root: 4, id: rmdirAt, level: 2, path, rmdirAt });
  const pod = "/kubepods/burstable/pod12345678-1234-1234-1234-123456789abc";
  const groups = groupByWorkload(
    [mk(`${pod}/aaaaaaaaaaaa`, 1000), mk("/system.slice/x.service", 5000), mk(`${pod}/bbbbbbbbbbbb`, 9000)],
    10_000,
  );
  assert.deepEqual(
    groups.map((g) => [g.workload, g.count, g.oldestAgeMs, g.newestAgeMs]),
    [
      ["pod 12345678-1234-1234-1234-123456789abc (burstable)", 2, 9000, 1000],
      ["/system.slice/x.service", 1, 5000, 5000],
    ],
  );
});

test("dying since before tracing is the kernel count minus the named, never negative", () => {
  assert.equal(dyingBeforeTracing(13, 3), 10);
  assert.equal(dyingBeforeTracing(2, 3), null);
});
