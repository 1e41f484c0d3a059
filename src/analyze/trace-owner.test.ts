import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ownerFate } from "./trace-owner.js";
import { formatInstanceName, parseInstanceName, compactBootId, nsInode } from "../parsers/trace-instance-name.js";

const BOOT = "49fb9bb9163d42539e7c5b716207f09e";
const self = { pid: 100, startTime: 5000, pidNs: 4026531836, bootId: BOOT };
const other = { pid: 200, startTime: 7000, pidNs: 4026531836, bootId: BOOT };
const run = (startTime: number): { startTime: number; zombie: boolean } => ({ startTime, zombie: false });

test("a maker of another boot is dead; of another pid namespace, unknown (never removed)", () => {
  assert.equal(ownerFate(self, { ...other, bootId: "0".repeat(32) }, run(7000)).fate, "dead");
  const f = ownerFate(self, { ...other, pidNs: 4026532000 }, null);
  assert.deepEqual(f, { fate: "unknown", why: "made in another pid namespace (4026532000, ours is 4026531836)" });
  assert.equal(ownerFate(self, { ...other, pidNs: 0 }, null).fate, "unknown", "a namespace not known proves nothing");
  assert.equal(ownerFate({ ...self, pidNs: 0 }, { ...other, pidNs: 0 }, null).fate, "unknown");
});

test("same boot and namespace: no such pid or a later start is dead; the same start is alive", () => {
  assert.deepEqual(ownerFate(self, other, null), { fate: "dead", why: "pid 200 no longer runs" });
  assert.equal(ownerFate(self, other, run(9000)).fate, "dead");
  assert.deepEqual(ownerFate(self, other, run(7000)), { fate: "alive" });
  assert.equal(ownerFate(self, other, { startTime: 7000, zombie: true }).fate, "dead", "exited, not yet reaped");
  assert.deepEqual(ownerFate(self, self, null), { fate: "alive" }, "our own instance, however /proc reads");
});

test("an instance name carries its owner and round-trips; other prefixes and old names are told apart", () => {
  const name = formatInstanceName("cgleak", other);
  assert.equal(name, `cgleak-200-7000-4026531836-${BOOT}`);
  assert.deepEqual(parseInstanceName("cgleak", name), other);
  assert.equal(parseInstanceName("cgleak", `cgleak-test-1-x-200-7000-4026531836-${BOOT}`), undefined);
  assert.deepEqual(parseInstanceName("cgleak-test-1-x", `cgleak-test-1-x-200-7000-4026531836-${BOOT}`), other);
  assert.equal(parseInstanceName("cgleak", "cgleak-4711-0a1b2c3d"), "legacy");
  assert.equal(parseInstanceName("cgleak", "cgleakx-200-7000-1-" + BOOT), undefined);
  assert.equal(compactBootId("49fb9bb9-163d-4253-9e7c-5b716207f09e\n"), BOOT);
  assert.equal(compactBootId("nope"), undefined);
  assert.equal(nsInode("pid:[4026531836]"), 4026531836);
});
