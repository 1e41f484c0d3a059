import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parseProcPidStat } from "./proc-pid-stat.js";
import { ParseError } from "../host/errors.js";

// Verbatim from this machine's kernel 6.18 (`cat /proc/self/stat`), then a comm with ") (" in it.
const CAT = "26922 (cat) R 26915 26915 17283 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 2168085 3133440 408 " +
  "18446744073709551615 94071724548096 94071724567977 140722079608704 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";

test("reads the pid and field 22 (starttime), also past a comm holding spaces and parentheses", () => {
  assert.deepEqual(parseProcPidStat(CAT, "/proc/26922/stat"), { pid: 26922, startTime: 2168085 });
  const odd = CAT.replace("(cat)", "(a) (b c)");
  assert.deepEqual(parseProcPidStat(odd, "/proc/26922/stat"), { pid: 26922, startTime: 2168085 });
});

test("a short or garbled line is a ParseError naming the file", () => {
  assert.throws(() => parseProcPidStat("26922 (cat) R 1 2 3\n", "/proc/26922/stat"),
    (e: unknown) => e instanceof ParseError &&
      /^Cannot parse \/proc\/26922\/stat line 1: expected a numeric pid/.test(e.message));
  assert.throws(() => parseProcPidStat("garbage", "/proc/x/stat"), ParseError);
});
