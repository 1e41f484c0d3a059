import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCpuListCount } from "./cpu-list.js";
import { ParseError } from "../host/errors.js";

test("parseCpuListCount() counts single ids, ranges and their mix", () => {
  assert.equal(parseCpuListCount("0\n", "possible"), 1);
  assert.equal(parseCpuListCount("0-1\n", "possible"), 2);
  assert.equal(parseCpuListCount("0-95\n", "possible"), 96);
  assert.equal(parseCpuListCount("0-3,8-11,16\n", "possible"), 9);
});

test("parseCpuListCount() names the file and the line on bad input", () => {
  for (const bad of ["", "0-", "a-3", "3-1", "0,,2", "0-1\n4-5\n"]) {
    assert.throws(
      () => parseCpuListCount(bad, "/sys/devices/system/cpu/possible"),
      (e: unknown) => e instanceof ParseError && e.message.includes("/sys/devices/system/cpu/possible"),
      bad,
    );
  }
});
