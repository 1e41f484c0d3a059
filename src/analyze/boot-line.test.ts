import { test } from "node:test";
import assert from "node:assert/strict";
import { bootLine, memoryMissingReason } from "./boot-line.js";
import { parseCmdline } from "../parsers/cmdline.js";

test("boot line: each cgroup parameter says what it changes; others are not listed", () => {
  const b = bootLine(
    parseCmdline("ro quiet cgroup.memory=nokmem,nosocket cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"),
    { rhel7: false },
  );
  assert.deepEqual(
    b.effects.map((e) => e.param),
    ["cgroup.memory=nokmem", "cgroup.memory=nosocket", "cgroup_no_v1=all", "systemd.unified_cgroup_hierarchy=1"],
  );
  assert.deepEqual(b.conflicts, []);
  assert.deepEqual(bootLine(parseCmdline("ro quiet"), { rhel7: false }).effects, []);
  assert.equal(bootLine(null, { rhel7: false }).raw, null);
});

test("boot line: systemd asking for v1 while cgroup_no_v1 forbids memory there: the kernel wins", () => {
  const b = bootLine(parseCmdline("cgroup_no_v1=memory systemd.unified_cgroup_hierarchy=0"), { rhel7: false });
  assert.equal(b.conflicts.length, 1);
  assert.match(b.conflicts[0] ?? "", /the kernel wins/);
});

test("boot line: cgroup_enable and cgroup_disable of memory: the last one wins, in command-line order", () => {
  const off = bootLine(parseCmdline("cgroup_enable=memory cgroup_disable=memory"), { rhel7: false });
  assert.equal(off.effects.at(-1)?.param, "cgroup_disable=memory");
  assert.match(off.conflicts[0] ?? "", /the last one \(disable\) wins/);
  const on = bootLine(parseCmdline("cgroup_disable=memory cgroup_enable=memory"), { rhel7: false });
  assert.equal(on.effects.at(-1)?.param, "cgroup_enable=memory");
});

test("no memory controller: the reason follows the evidence, not a guess", () => {
  const plain = parseCmdline("ro");
  assert.match(
    memoryMissingReason({ present: false, enabled: false }, plain, false),
    /built without the memory controller/,
  );
  assert.match(
    memoryMissingReason({ present: true, enabled: false }, parseCmdline("cgroup_disable=memory"), false),
    /disabled at boot \(cgroup_disable=memory/,
  );
  assert.match(
    memoryMissingReason({ present: true, enabled: false }, plain, false),
    /without cgroup_disable=memory: this kernel leaves it off unless booted with cgroup_enable=memory/,
  );
  assert.match(
    memoryMissingReason({ present: true, enabled: true }, parseCmdline("cgroup_no_v1=all"), false),
    /enabled but not mounted: cgroup_no_v1=all/,
  );
  assert.match(
    memoryMissingReason({ present: true, enabled: true }, plain, true),
    /enabled in the kernel but no cgroup hierarchy offers it.*CONFIG_MEMCG_V1/,
  );
  assert.doesNotMatch(memoryMissingReason({ present: true, enabled: true }, plain, false), /CONFIG_MEMCG_V1/);
  assert.match(memoryMissingReason(null, plain, false), /could not be read/);
});
