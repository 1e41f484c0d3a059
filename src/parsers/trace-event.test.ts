import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parseTraceLine, parseTraceText } from "./trace-event.js";
import { ParseError } from "../host/errors.js";

// Verbatim from this machine's kernel 6.18 (docs/lab-results.md §5 and the tracefs experiment for issue 8).
const RMDIR = "           mkdir-23964 [001] ..... 2211.040433: cgroup_rmdir: root=4 id=7065030 level=2 path=/ceo-tr/c1";
const MKDIR_V2 =
  "           mkdir-5787    [001] d..1.   742.930071: cgroup_mkdir: root=0 id=25 level=1 path=/cgleak-trace-x";
const RELEASE =
  "     kworker/1:0-23      [001] d..1.   743.071960: cgroup_release: root=4 id=3467 level=1 path=/cgleak-trace-x";

test("parses a cgroup_rmdir line", () => {
  assert.deepEqual(parseTraceLine(RMDIR, 1), {
    kind: "cgroup",
    event: "cgroup_rmdir",
    task: "mkdir",
    pid: 23964,
    cpu: 1,
    ts: 2211.040433,
    root: 4,
    id: 7065030,
    level: 2,
    path: "/ceo-tr/c1",
  });
});

test("the cgroup2 hierarchy is root=0 and a kworker's comm keeps its slash and colon", () => {
  const v2 = parseTraceLine(MKDIR_V2, 1);
  assert.equal(v2.kind === "cgroup" && v2.root, 0);
  const rel = parseTraceLine(RELEASE, 2);
  assert.ok(rel.kind === "cgroup");
  assert.equal(rel.task, "kworker/1:0");
  assert.equal(rel.pid, 23);
  assert.equal(rel.event, "cgroup_release");
});

test("a comm with spaces and dashes, a tgid column, no irq flags and a path with spaces", () => {
  const line = "  Web Content-x-4711  (   4700) [000]   12.500000: cgroup_mkdir: root=0 id=9 level=2 path=/a b/c";
  const e = parseTraceLine(line, 1);
  assert.ok(e.kind === "cgroup");
  assert.equal(e.task, "Web Content-x");
  assert.equal(e.pid, 4711);
  assert.equal(e.path, "/a b/c");
});

test("lost-event markers, with and without a count", () => {
  assert.deepEqual(parseTraceLine("CPU:1 [LOST 123 EVENTS]", 1), { kind: "lost", cpu: 1, count: 123 });
  assert.deepEqual(parseTraceLine("CPU:0 [LOST EVENTS]", 1), { kind: "lost", cpu: 0, count: null });
});

test("other events (a trace_marker write) are returned as other, headers as comments", () => {
  const mark = "            node-900     [000] .....   800.000001: tracing_mark_write: cgleak-stop";
  assert.deepEqual(parseTraceLine(mark, 1), { kind: "other", event: "tracing_mark_write", ts: 800.000001 });
  const text = "# tracer: nop\n#\n##### CPU 1 buffer started ####\n" + RMDIR + "\n\n";
  const kinds = parseTraceText(text).map((l) => l.kind);
  assert.deepEqual(kinds, ["comment", "comment", "comment", "cgroup"]);
});

test("malformed lines throw a ParseError naming file and line", () => {
  assert.throws(
    () => parseTraceLine("garbage", 7, "trace_pipe"),
    (e: unknown) => e instanceof ParseError && e.lineNumber === 7 && /trace_pipe line 7/.test(e.message),
  );
  const badBody = "mkdir-1 [000] ..... 1.000000: cgroup_mkdir: root=x id=1 level=1 path=/a";
  assert.throws(() => parseTraceText(`${RMDIR}\n${badBody}`, "t"), /t line 2: expected "root=N id=N level=N path=P"/);
});
