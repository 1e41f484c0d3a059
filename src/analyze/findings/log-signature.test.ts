import { test } from "node:test";
import assert from "node:assert/strict";
import { logSignatureFinding } from "./log-signature.js";
import type { DiagnosisInput } from "../diagnose.js";
import type { LogFinding, LogReport } from "../../logs/scan-logs.js";

/** The log findings on a node whose numbers are past the warning mark (level) or fine. */
function input(all: LogFinding[], level: "ok" | "critical" = "critical"): DiagnosisInput {
  const findings = all.filter((f) => f.kind !== "slub-possible");
  const possible = all.filter((f) => f.kind === "slub-possible");
  const logs: LogReport = {
    sources: [{ name: "/var/log/messages", type: "file", ok: true, lines: 9 }],
    total: findings.length,
    findings,
    possible,
  };
  const report = {
    status: { level, sentence: "" },
    assessment: { remedy: { action: "reboot", sentence: "Drain and reboot", command: null, short: "reboot" } },
  };
  return { logs, report } as unknown as DiagnosisInput;
}

function finding(kind: LogFinding["kind"], count: number, line: string): LogFinding {
  return {
    kind,
    count,
    undated: count,
    components: { kernel: count },
    errnos: {},
    paths: 0,
    samples: [{ source: "/var/log/messages", lineNumber: 4, component: "kernel", line }],
  };
}

const SLUB = "[1.0] SLUB: Unable to allocate memory on node -1 (gfp=0x20)";

test("log-signature: a SLUB line that names no cache is only 'possible', at info severity", () => {
  const f = logSignatureFinding(input([finding("slub-possible", 2, SLUB)]));
  assert.equal(f?.severity, "info");
  assert.match(
    f!.title,
    /^Possible: the kernel logged 2 × "SLUB: Unable to allocate memory" without naming a per-memcg cache/,
  );
  assert.deepEqual(f!.evidence, [{ from: "/var/log/messages:4", value: SLUB }]);
});

test("log-signature: a per-memcg cache line is a warning; an mkdir failure critical; 'possible' lines only add evidence", () => {
  const cache = finding("slub-memcg", 1, "[1.1] cache: kmalloc-64(12:abc), object size: 64");
  const possible = finding("slub-possible", 3, SLUB);
  const slub = logSignatureFinding(input([possible, cache]));
  assert.equal(slub?.severity, "warning");
  assert.match(
    slub!.title,
    /The logs show 1 memory-cgroup failures \(1 × SLUB: Unable to allocate memory in a memcg cache\)/,
  );
  assert.equal(slub!.evidence.length, 2);
  const mkdir = logSignatureFinding(
    input([possible, finding("mkdir-enospc", 2, "mkdir /sys/fs/cgroup/memory/x: no space left on device")]),
  );
  assert.equal(mkdir?.severity, "critical");
  assert.match(mkdir!.title, /2 × no space left on device\): pods have already failed to start here/);
  assert.equal(logSignatureFinding(input([])), null);
  assert.deepEqual(mkdir!.fix, ["Drain and reboot"], "the fix is the assessment's remedy");
});

test("log-signature: mkdir failures on a node whose numbers are fine now are a warning about the past", () => {
  const f = logSignatureFinding(
    input([finding("mkdir-enospc", 2, "mkdir /sys/fs/cgroup/memory/x: no space left on device")], "ok"),
  );
  assert.equal(f?.severity, "warning");
  assert.match(f!.fix[0]!, /older than the last reboot or release/);
});
