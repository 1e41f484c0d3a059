import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Host } from "./host.js";
import { unfitPlace } from "../store/place.js";
import { runCli, fixtureRoot } from "../testing/fixtures.js";

/** Kernel files are read by type and with a size bound (issue 20 item 8). */
function withRoot(fn: (root: string, host: Host) => void): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-host-"));
  try {
    fs.mkdirSync(path.join(root, "proc"));
    fn(root, new Host(root));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

test("a FIFO where /proc/cgroups should be is refused at once, not waited on", () => {
  withRoot((root, host) => {
    assert.equal(spawnSync("mkfifo", [path.join(root, "proc/cgroups")]).status, 0);
    assert.throws(() => host.readText("/proc/cgroups"), {
      name: "HostReadError",
      message: "Cannot read /proc/cgroups: not a regular file (a FIFO)",
    });
    assert.throws(() => host.readTextIfExists("/proc/cgroups"), {
      message: "Cannot read /proc/cgroups: not a regular file (a FIFO)",
    });
  });
});

test("/proc/cgroups pointing at /dev/zero is refused by type, not read until memory runs out", () => {
  withRoot((root, host) => {
    fs.symlinkSync("/dev/zero", path.join(root, "proc/cgroups"));
    assert.throws(() => host.readText("/proc/cgroups"), {
      message: "Cannot read /proc/cgroups: not a regular file (a character device)",
    });
  });
});

test("a kernel file past 16 MiB is refused after reading at most 16 MiB", () => {
  withRoot((root, host) => {
    fs.writeFileSync(path.join(root, "proc/cgroups"), Buffer.alloc(17 * 1024 * 1024, "a"));
    assert.throws(() => host.readText("/proc/cgroups"), {
      message: "Cannot read /proc/cgroups: larger than 16 MiB, which no kernel file here is",
    });
  });
});

test("a kernel file of several chunks reads whole, a multi-byte character across chunks intact", () => {
  withRoot((root, host) => {
    const text = `${"x".repeat(65535)}é${"y".repeat(70000)}\n`;
    fs.writeFileSync(path.join(root, "proc/cgroups"), text);
    assert.equal(host.readText("/proc/cgroups"), text);
  });
});

test("serve --db on /proc or a cgroup filesystem is refused before start", () => {
  assert.match(unfitPlace("/proc/self/cgleak.db") ?? "", /is on procfs/);
  assert.equal(unfitPlace(path.join(os.tmpdir(), "no/such/dir/cgleak.db")), null);
  const r = runCli([
    "serve",
    "--db",
    "/proc/self/cgleak.db",
    "--listen",
    "127.0.0.1:0",
    "--host-root",
    fixtureRoot("hybrid-v1-memory"),
  ]);
  assert.equal(r.status, 2);
  assert.equal(
    r.stderr,
    "cgleak serve: --db: /proc/self/cgleak.db is on procfs (/proc/self), a kernel filesystem that holds no database\n",
  );
});

test("realpathUnderRoot follows links inside the root only: '..' and absolute targets stop at the root", () => {
  withRoot((root, host) => {
    fs.mkdirSync(path.join(root, "etc"));
    fs.writeFileSync(path.join(root, "etc/hostname"), "inside\n");
    fs.symlinkSync("../../../../etc", path.join(root, "proc/up"));
    fs.symlinkSync("/etc/hostname", path.join(root, "proc/abs"));
    assert.equal(host.realpathUnderRoot("/proc/up/hostname"), "/etc/hostname");
    assert.equal(host.realpathUnderRoot("/proc/abs"), "/etc/hostname");
    assert.equal(host.readText(host.realpathUnderRoot("/proc/up/hostname") ?? ""), "inside\n");
    assert.equal(host.realpathUnderRoot("/proc/none"), undefined);
  });
});

test("the Host's other reads fail in one line naming the host path", () => {
  withRoot((root, host) => {
    assert.throws(() => host.readDir("/nope"), { name: "HostReadError", message: "Cannot read /nope: no such file" });
    assert.throws(() => host.lstat("/nope"), { message: "Cannot read /nope: no such file" });
    assert.equal(spawnSync("mkfifo", [path.join(root, "proc/fifo")]).status, 0);
    assert.throws(() => host.readHead("/proc/fifo"), { message: "Cannot read /proc/fifo: not a regular file" });
    assert.throws(() => host.openBinary("/proc"), { message: "Cannot read /proc: not a regular file" });
    assert.deepEqual(host.readDir("/proc").sort(), ["fifo"]);
    assert.equal(host.isProcfs("/proc"), false, "a plain directory is not procfs");
  });
});
