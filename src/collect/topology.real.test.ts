import { test } from "node:test";
import assert from "node:assert/strict";
import * as os from "node:os";
import { Host } from "../host/host.js";
import { readTopology } from "./topology.js";

const skip = process.platform !== "linux" ? "needs Linux sysfs" : false;

test("readTopology() on this machine: possible CPUs from sysfs, at least the CPUs Node sees online", { skip }, () => {
  const t = readTopology(new Host("/"));
  assert.equal(t.cpusFrom, "/sys/devices/system/cpu/possible");
  assert.ok(t.cpus !== null && t.cpus >= os.cpus().length, `possible ${t.cpus}, online ${os.cpus().length}`);
  assert.ok(t.nodes !== null && t.nodes >= 1);
});
