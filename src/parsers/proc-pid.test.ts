import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parseProcPidStat } from "./proc-pid-stat.js";
import { parseNsPid } from "./proc-pid-status.js";
import { ParseError } from "../host/errors.js";

// Verbatim from this machine's kernel 6.18 (`cat /proc/self/stat`), then a comm with ") (" in it.
const CAT =
  "26922 (cat) R 26915 26915 17283 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 2168085 3133440 408 " +
  "18446744073709551615 94071724548096 94071724567977 140722079608704 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";

test("reads the pid and field 22 (starttime), also past a comm holding spaces and parentheses", () => {
  assert.deepEqual(parseProcPidStat(CAT, "/proc/26922/stat"), { pid: 26922, startTime: 2168085, state: "R" });
  const odd = CAT.replace("(cat)", "(a) (b c)");
  assert.deepEqual(parseProcPidStat(odd, "/proc/26922/stat"), { pid: 26922, startTime: 2168085, state: "R" });
});

test("a short or garbled line is a ParseError naming the file", () => {
  assert.throws(
    () => parseProcPidStat("26922 (cat) R 1 2 3\n", "/proc/26922/stat"),
    (e: unknown) =>
      e instanceof ParseError && /^Cannot parse \/proc\/26922\/stat line 1: expected a numeric pid/.test(e.message),
  );
  assert.throws(() => parseProcPidStat("garbage", "/proc/x/stat"), ParseError);
});

test("NSpid: one pid when the procfs is the process's own namespace, one per level if nested; none before 4.1", () => {
  const status = (ns: string): string => `Name:\tnode\nTgid:\t16975\nNgid:\t0\nPid:\t16975\n${ns}Uid:\t0\t0\t0\t0\n`;
  assert.deepEqual(parseNsPid(status("NSpid:\t16975\n"), "/proc/self/status"), [16975]);
  assert.deepEqual(parseNsPid(status("NSpid:\t16975\t7\n"), "/proc/self/status"), [16975, 7]);
  assert.equal(parseNsPid(status(""), "/proc/self/status"), undefined);
  assert.throws(
    () => parseNsPid(status("NSpid:\tx\n"), "/proc/self/status"),
    (e: unknown) => e instanceof ParseError && e.message.startsWith("Cannot parse /proc/self/status line 5:"),
  );
});
