import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseMountInfo } from "./mountinfo.js";
import { cgroupHierarchies } from "../collect/mounts.js";
import { TESTDATA } from "../testing/fixtures.js";

// Verbatim lines from this project's lab machine.
const LAB = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

test("parseMountInfo() reads fields around the optional-fields separator", () => {
  const [m] = parseMountInfo(
    "25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid shared:8 master:1 - cgroup cgroup rw,xattr,name=systemd\n",
  );
  assert.deepEqual(m, {
    mountId: 25,
    parentId: 24,
    root: "/",
    mountPoint: "/sys/fs/cgroup/systemd",
    fsType: "cgroup",
    source: "cgroup",
    superOptions: ["rw", "xattr", "name=systemd"],
  });
});

test("parseMountInfo() unescapes octal escapes in paths", () => {
  const [m] = parseMountInfo("1 0 0:1 / /mnt/a\\040b rw - tmpfs none rw\n");
  assert.equal(m?.mountPoint, "/mnt/a b");
});

test("cgroupHierarchies() finds the v1 memory hierarchy and the cgroup2 mount of a hybrid host", () => {
  const h = cgroupHierarchies(parseMountInfo(LAB));
  assert.deepEqual(
    h.map((x) => [x.version, x.mountPoint, x.controllers.join(",")]),
    [
      [1, "/sys/fs/cgroup/memory", "memory"],
      [1, "/sys/fs/cgroup/systemd", "name=systemd"],
      [2, "/sys/fs/cgroup/unified", ""],
    ],
  );
});

test("cgroupHierarchies() reads the qemu lab's v2-only mountinfo (6.12)", () => {
  const text = fs.readFileSync(path.join(TESTDATA, "hosts/v2-debian-6.12-kubepods/proc/1/mountinfo"), "utf8");
  assert.deepEqual(
    cgroupHierarchies(parseMountInfo(text)).map((x) => [x.version, x.mountPoint]),
    [[2, "/sys/fs/cgroup"]],
  );
});

test("parseMountInfo() rejects a line without the separator", () => {
  assert.throws(
    () => parseMountInfo("ok\n30 22 0:27 / /sys rw,relatime tmpfs tmpfs rw\n", "/proc/1/mountinfo"),
    /Cannot parse \/proc\/1\/mountinfo line 1: expected "id parent/,
  );
});
