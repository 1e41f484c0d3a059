import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { spawn, type ChildProcess } from "node:child_process";
import { Host } from "../host/host.js";
import { needsRootMemcgV1, uniqueName, removeCgroupTree } from "../testing/kernel.js";
import { findEmptyCgroups, removeEmptyCgroups, globToRegExp } from "./clean-empty.js";
import { sleepMs } from "./rmdir.js";

const skip = needsRootMemcgV1();
const host = new Host("/");
const MEM = "/sys/fs/cgroup/memory";
const PIDS = "/sys/fs/cgroup/pids";

test("globs: * stays in a segment, ** crosses", () => {
  assert.ok(globToRegExp("system.slice/run-*.scope").test("system.slice/run-r3f1.scope"));
  assert.ok(!globToRegExp("system.slice/run-*.scope").test("system.slice/x/run-1.scope"));
  assert.ok(globToRegExp("/kubepods/**").test("kubepods/burstable/pod1/abc"));
  assert.ok(!globToRegExp("a.b").test("aXb"));
});

/** A child `sleep` that joined `dir` (never the test runner). */
function processIn(dir: string): ChildProcess {
  const p = spawn("sh", ["-c", `echo $$ > ${dir}/cgroup.procs && exec sleep 60`], { stdio: "ignore" });
  for (let i = 0; i < 100 && fs.readFileSync(`${dir}/cgroup.procs`, "utf8").trim() === ""; i++) sleepMs(20);
  return p;
}

test("clean-empty removes exactly the empty, old, matching cgroups in every hierarchy", { skip }, () => {
  const t = uniqueName("clean");
  const kids: ChildProcess[] = [];
  try {
    for (const d of ["c-old1", "c-old2/deep", "c-proc", "c-busy/child", "nomatch-old"])
      fs.mkdirSync(`${MEM}/${t}/${d}`, { recursive: true });
    fs.mkdirSync(`${PIDS}/${t}/c-old1`, { recursive: true });
    kids.push(processIn(`${MEM}/${t}/c-proc`), processIn(`${MEM}/${t}/c-busy/child`));
    // kernfs keeps times set by utimes (as iattrs); its own mtimes reset whenever the inode is
    // evicted (another engineer's drop_caches makes every cgroup look new), so age them explicitly
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const d of ["c-old1", "c-old2/deep", "c-old2", "c-proc", "c-busy/child", "c-busy", "nomatch-old"])
      fs.utimesSync(`${MEM}/${t}/${d}`, hourAgo, hourAgo);
    fs.utimesSync(`${PIDS}/${t}/c-old1`, hourAgo, hourAgo);
    fs.mkdirSync(`${MEM}/${t}/c-young`);
    const list = findEmptyCgroups(host, { minAgeMs: 600_000, now: Date.now(), match: `${t}/c-**` });
    const names = list.map((c) => `${c.mountPoint}/${c.rel}`).sort();
    assert.deepEqual(names, [
      `${MEM}/${t}/c-old1`,
      `${MEM}/${t}/c-old2`,
      `${MEM}/${t}/c-old2/deep`,
      `${PIDS}/${t}/c-old1`,
    ]);
    // c-old1 gains a process between the check and the rmdir: the kernel refuses, we report it
    kids.push(processIn(`${MEM}/${t}/c-old1`));
    const r = removeEmptyCgroups(host, list);
    assert.deepEqual(r.removed.map((c) => `${c.mountPoint}/${c.rel}`).sort(), [
      `${MEM}/${t}/c-old2`,
      `${MEM}/${t}/c-old2/deep`,
      `${PIDS}/${t}/c-old1`,
    ]);
    assert.deepEqual(
      r.failed.map((c) => [c.rel, c.error]),
      [[`${t}/c-old1`, "EBUSY"]],
    );
    for (const d of ["c-old1", "c-proc", "c-busy/child", "c-young", "nomatch-old"])
      assert.ok(fs.existsSync(`${MEM}/${t}/${d}`), d);
    assert.ok(!fs.existsSync(`${MEM}/${t}/c-old2`));
  } finally {
    for (const k of kids) k.kill("SIGKILL");
    sleepMs(100);
    removeCgroupTree(`${MEM}/${t}`);
    removeCgroupTree(`${PIDS}/${t}`);
  }
});
