import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { findEmptyCgroups, removeEmptyCgroups } from "./clean-empty.js";
import { runCli } from "../testing/fixtures.js";

/** Destructive actions stay inside the host root and on cgroup filesystems (issue 20 item 2). */
function scratch(): { root: string; outside: string; done: () => void } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-target-"));
  const root = path.join(base, "host");
  const outside = path.join(base, "victim");
  for (const d of ["a/old", "b"]) fs.mkdirSync(path.join(outside, d), { recursive: true });
  fs.mkdirSync(path.join(root, "proc/1"), { recursive: true });
  fs.mkdirSync(path.join(root, "sys/fs/cgroup"), { recursive: true });
  return { root, outside, done: () => fs.rmSync(base, { recursive: true, force: true }) };
}

function mountinfo(root: string, mountPoint: string): void {
  fs.writeFileSync(
    path.join(root, "proc/1/mountinfo"),
    `34 30 0:31 / ${mountPoint} rw,relatime - cgroup cgroup rw,pids\n`,
  );
}

function victimIntact(outside: string): void {
  for (const d of ["a/old", "a", "b"])
    assert.ok(fs.existsSync(path.join(outside, d)), `${d} outside the root was removed`);
}

test("clean-empty --apply refuses a mount point that climbs out of the root with ..", () => {
  const s = scratch();
  try {
    mountinfo(s.root, "/sys/fs/cgroup/../../../../victim");
    const r = runCli(["clean-empty", "--apply", "--min-age", "0s", "--host-root", s.root]);
    victimIntact(s.outside);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /could not remove \S+\/a\/old: Refusing to act on \S+: it resolves to \S+victim\S*, outside the host root/,
    );
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /);
  } finally {
    s.done();
  }
});

test("clean-empty --apply refuses a symlinked mount point and a directory not on a cgroup filesystem", () => {
  const s = scratch();
  try {
    fs.symlinkSync(s.outside, path.join(s.root, "sys/fs/cgroup/pids"));
    mountinfo(s.root, "/sys/fs/cgroup/pids");
    const r = runCli(["clean-empty", "--apply", "--min-age", "0s", "--host-root", s.root]);
    victimIntact(s.outside);
    assert.match(
      r.stdout,
      /Refusing to act on \/sys\/fs\/cgroup\/pids\S*: it resolves to \S+victim\S*, outside the host root/,
    );
    fs.rmSync(path.join(s.root, "sys/fs/cgroup/pids"));
    fs.cpSync(s.outside, path.join(s.root, "sys/fs/cgroup/pids"), { recursive: true });
    const inside = runCli(["clean-empty", "--apply", "--min-age", "0s", "--host-root", s.root]);
    assert.match(
      inside.stdout,
      /Refusing to act on \/sys\/fs\/cgroup\/pids\S*: \S+ is not on a cgroup filesystem \(statfs type 0x[0-9a-f]+\)/,
    );
    assert.ok(fs.existsSync(path.join(s.root, "sys/fs/cgroup/pids/a/old")));
  } finally {
    s.done();
  }
});

test("clean-empty --apply refuses a parent swapped for a symlink between listing and removal", () => {
  const s = scratch();
  try {
    const pids = path.join(s.root, "sys/fs/cgroup/pids");
    fs.mkdirSync(path.join(pids, "a/old"), { recursive: true });
    mountinfo(s.root, "/sys/fs/cgroup/pids");
    const host = new Host(s.root);
    const list = findEmptyCgroups(host, { minAgeMs: 0, now: Date.now() + 1000 });
    assert.ok(list.some((c) => c.rel === "a/old"));
    fs.rmSync(path.join(pids, "a"), { recursive: true });
    fs.symlinkSync(path.join(s.outside, "a"), path.join(pids, "a"));
    const r = removeEmptyCgroups(host, list);
    victimIntact(s.outside);
    assert.deepEqual(r.removed, []);
    assert.match(
      r.failed.find((f) => f.rel === "a/old")?.error ?? "",
      /^Refusing to act on \/sys\/fs\/cgroup\/pids\/a: it resolves to \S+victim\/a, outside the host root/,
    );
  } finally {
    s.done();
  }
});
