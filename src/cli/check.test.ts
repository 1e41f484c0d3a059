import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyFixture, TESTDATA } from "../testing/fixtures.js";
import { checkFixture, runCheck } from "../testing/kube-check.js";
import { clip, MAX_LINE } from "./check.js";

const FIXTURES = fs
  .readdirSync(path.join(TESTDATA, "hosts"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/** NPD reads exactly one line; more would be cut or merged into the condition message. */
function oneLine(stdout: string): string {
  assert.match(stdout, /^[^\n]*\n$/, `expected exactly one line, got ${JSON.stringify(stdout)}`);
  return stdout.slice(0, -1);
}

test("NPD protocol: a node near the ID cap is a problem (exit 1) and says so in one line", () => {
  const r = checkFixture("centos7-v1-near-cap");
  assert.equal(r.status, 1, r.stderr);
  assert.match(oneLine(r.stdout), /^CRITICAL: memcg IDs 65,530\/65,535 .*65,469 dying hold IDs/);
});

test("NPD protocol: a healthy hybrid v1 node is OK (exit 0)", () => {
  const r = checkFixture("hybrid-v1-memory");
  assert.equal(r.status, 0, r.stderr);
  assert.match(oneLine(r.stdout), /^OK: memcg IDs 5\/65,535/);
});

test("NPD protocol: a host without a memory controller is unknown (exit 2) with a short message", () => {
  const r = checkFixture("no-memory-controller");
  assert.equal(r.status, 2);
  assert.match(oneLine(r.stdout), /^UNKNOWN: no memory cgroup controller/);
});

test("NPD protocol: an unreadable host root is unknown (exit 2), not a crash", () => {
  const r = runCheck(["--host-root", path.join(TESTDATA, "does-not-exist")]);
  assert.equal(r.status, 2);
  assert.match(oneLine(r.stdout), /^UNKNOWN: Cannot read /);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
});

test("NPD protocol: --problem-at critical makes a WARNING node OK", () => {
  // 5 of 65,535 IDs: push the warning mark below it so the status is WARNING, not CRITICAL.
  const warn = checkFixture("hybrid-v1-memory", ["--warn", "0.00001", "--crit", "0.5"]);
  assert.equal(warn.status, 1);
  assert.match(warn.stdout, /^WARNING: /);
  const lenient = checkFixture("hybrid-v1-memory", ["--warn", "0.00001", "--crit", "0.5", "--problem-at", "critical"]);
  assert.equal(lenient.status, 0);
});

test("NPD protocol: every fixture host, both modes, prints one line of at most 80 bytes", () => {
  assert.ok(FIXTURES.length >= 5, `fixture hosts: ${FIXTURES.join(", ")}`);
  for (const name of FIXTURES) {
    for (const extra of [[], ["--kured"]]) {
      const r = checkFixture(name, extra);
      const line = oneLine(r.stdout);
      assert.ok(
        Buffer.byteLength(line) <= MAX_LINE,
        `${name} ${extra.join(" ")}: ${Buffer.byteLength(line)} bytes: ${line}`,
      );
      assert.ok([0, 1, 2].includes(r.status as number), `${name}: exit ${r.status}`);
    }
  }
});

test("kured: exit 0 (reboot) only on the RHEL 7 node whose dying memcgs hold the IDs", () => {
  const near = checkFixture("centos7-v1-near-cap", ["--kured"]);
  assert.equal(near.status, 0, near.stdout);
  assert.match(near.stdout, /^REBOOT: 65,469 dying memcgs/);
  // Same node, but a critical mark it does not reach: no reboot.
  assert.equal(checkFixture("centos7-v1-near-cap", ["--kured", "--crit", "1"]).status, 1);
  for (const name of ["hybrid-v1-memory", "v2-debian-6.12-kubepods", "run-scope-leak"]) {
    const r = checkFixture(name, ["--kured"]);
    assert.equal(r.status, 1, `${name}: ${r.stdout}`);
    assert.match(r.stdout, /^NO REBOOT: /);
  }
  assert.equal(
    checkFixture("no-memory-controller", ["--kured"]).status,
    2,
    "kured logs a warning on 2 and does not reboot",
  );
});

test("clip keeps multi-byte text within 80 bytes and marks the cut", () => {
  const s = clip("é".repeat(100));
  assert.ok(Buffer.byteLength(s) <= MAX_LINE);
  assert.ok(s.endsWith("..."));
  assert.equal(clip("a\nb"), "a b");
});

test("kured: no reboot on a count no 3.10 kernel can hold (10^12, 70,000) or one below the live memcgs", () => {
  for (const n of ["1000000000000", "70000", "3"]) {
    const root = copyFixture("centos7-v1-near-cap");
    try {
      const file = path.join(root, "proc/cgroups");
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("memory\t8\t65530\t1", `memory\t8\t${n}\t1`));
      const r = runCheck(["--kured", "--host-root", root]);
      assert.equal(r.status, 2, `${n}: ${r.stdout}`);
      assert.match(oneLine(r.stdout), /^UNKNOWN: Cannot parse \/proc\/cgroups line 5: /);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
});
