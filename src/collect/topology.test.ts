import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Host } from "../host/host.js";
import { readTopology } from "./topology.js";
import { tempHost } from "../testing/fixtures.js";
import { ParseError } from "../host/errors.js";

function withHost<T>(files: Record<string, string>, f: (h: Host) => T): T {
  const root = tempHost(files);
  try {
    return f(new Host(root));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

test("readTopology() counts possible CPUs and nodes from sysfs", () => {
  const t = withHost(
    { "/sys/devices/system/cpu/possible": "0-63\n", "/sys/devices/system/node/possible": "0-1\n" },
    readTopology,
  );
  assert.deepEqual([t.cpus, t.nodes], [64, 2]);
  assert.equal(t.cpusFrom, "/sys/devices/system/cpu/possible");
});

test("readTopology() says one node when sysfs has no node directory (a kernel without NUMA)", () => {
  const t = withHost({ "/sys/devices/system/cpu/possible": "0-7\n" }, readTopology);
  assert.deepEqual([t.cpus, t.nodes], [8, 1]);
  assert.match(t.nodesFrom, /no NUMA/);
});

test("readTopology() falls back to /proc/stat's online CPUs where /sys is not mounted, and says so", () => {
  const stat = "cpu  1 2 3 4\ncpu0 1 1 1 1\ncpu1 1 1 1 1\ncpu2 1 1 1 1\nintr 5\n";
  const t = withHost({ "/proc/stat": stat }, readTopology);
  assert.deepEqual([t.cpus, t.nodes], [3, null]);
  assert.match(t.cpusFrom, /online CPUs, possible ones may be more/);
});

test("readTopology() reports unknown when neither is readable, and names the file of a bad cpu list", () => {
  const t = withHost({ "/proc/": "" }, readTopology);
  assert.deepEqual([t.cpus, t.nodes], [null, null]);
  assert.throws(
    () => withHost({ "/sys/devices/system/cpu/possible": "zero\n" }, readTopology),
    (e: unknown) => e instanceof ParseError && /cpu\/possible line 1/.test(e.message),
  );
});
