import { test } from "node:test";
import * as assert from "node:assert/strict";
import { DyingSet } from "../analyze/dying-set.js";
import { traceReport, renderTraceText, age } from "./trace-text.js";

test("ages read as 0.4s, 12s, 3m05s, 2h01m", () => {
  assert.deepEqual([age(0.4), age(12.3), age(185), age(7260)], ["0.4s", "12s", "3m05s", "2h01m"]);
});

test("the text report groups by workload and warns about lost events and the unnamed rest", () => {
  const set = new DyingSet(4);
  const ev = { kind: "cgroup", event: "cgroup_rmdir", task: "rmdir", pid: 1, cpu: 0, ts: 0, root: 4, level: 2 } as const;
  set.apply({ ...ev, id: 7, path: "/system.slice/x.service" }, 1_000);
  set.markLost(12, 5_000);
  const r = traceReport(set, 0, 61_000, 10);
  assert.equal(r.dyingBeforeTracing, 9);
  const text = renderTraceText(r);
  assert.match(text, /tracing for 1m01s, memory hierarchy 4\n/);
  assert.match(text, /dying memcgs named: 1 {3}dying since before tracing: 9 /);
  assert.match(text, /WARNING: the kernel dropped 12 trace events/);
  assert.match(text, /\/system\.slice\/x\.service +1 +1m00s +1m00s\n {2}\/system\.slice\/x\.service {2}\(id 7, dying 1m00s\)/);
});
