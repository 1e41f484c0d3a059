import { test } from "node:test";
import assert from "node:assert/strict";
import { assess, type Assessed } from "./assess.js";
import type { Snapshot } from "./report.js";
import type { LogReport } from "../logs/scan-logs.js";
import { kernelModel } from "../knowledge/kernel-model.js";
import { parseCmdline } from "../parsers/cmdline.js";
import { MEMCG_ID_CAP } from "./ids.js";
import { dyingCost } from "./dying-cost.js";

/**
 * The invariants of the one assessment, over a generated matrix of nodes: kernel family x kmem
 * accounting x swap x dying level x nokmem x page cache pinned x a log hit. Whatever the node,
 * a non-OK status is explained by a finding, kured reboots exactly when the remedy is a reboot,
 * and a reboot never rests on a kernel where dying memcgs free their IDs.
 */
const KERNELS = {
  "el7-862": "3.10.0-862.9.1.el7.x86_64",
  "el7-1062": "3.10.0-1062.4.1.el7.x86_64",
  "el7-1127": "3.10.0-1127.19.1.el7.x86_64",
  "el7-1160": "3.10.0-1160.49.1.el7.x86_64",
  "upstream-4.4.10": "4.4.10",
  "ubuntu-4.15": "4.15.0-112-generic",
  "debian-4.19": "4.19.0-21-amd64",
  "vendor-4.19": "4.19.91-24.8.an8.x86_64",
  "vendor-abi": "4.14.35-1902.3.2-fancy",
  el8: "4.18.0-305.el8.x86_64",
  "upstream-6.12": "6.12.10",
  "debian-6.12": "6.12.117+deb12-amd64",
  unknown: "weird-kernel",
} as const;

const DYING = [0, 150, 6000, 30000, 65000, 70000];
const LIVE = 500;

interface Case {
  kernel: keyof typeof KERNELS;
  kmem: boolean;
  swap: boolean;
  dying: number;
  nokmem: boolean;
  pinned: boolean;
  logHit: boolean;
}

function* cases(): Generator<Case> {
  for (const kernel of Object.keys(KERNELS) as Array<keyof typeof KERNELS>) {
    for (const kmem of [true, false])
      for (const swap of [false, true])
        for (const dying of DYING) {
          for (const nokmem of [false, true])
            for (const pinned of [true, false])
              for (const logHit of [false, true]) yield { kernel, kmem, swap, dying, nokmem, pinned, logHit };
        }
  }
}

function snapshot(c: Case): Snapshot {
  const release = KERNELS[c.kernel];
  const cmdline = `root=/dev/sda1 ro${c.nokmem ? " cgroup.memory=nokmem" : ""}`;
  const pods = 36;
  const cost = dyingCost(release, { cpus: 2, cpusFrom: "test", nodes: 1, nodesFrom: "test" });
  return {
    schema: "cgleak.scan/v1",
    time: "2026-12-02T00:00:00.000Z",
    hostRoot: "/",
    kernel: { release, cmdline },
    cgroup: { mode: "v1", memoryVersion: 1, mountPoint: "/sys/fs/cgroup/memory", mountinfo: "/proc/1/mountinfo" },
    memcg: {
      kernelTotal: LIVE + c.dying,
      totalSource: "/proc/cgroups",
      live: LIVE,
      dying: c.dying,
      dyingSource: "/proc/cgroups minus live",
      vanishedDuringWalk: 0,
    },
    dying: {
      count: c.dying,
      pinnedBytes: c.pinned && c.dying > 0 ? c.dying * 4096 : 0,
      kernelBytesEach: cost.bytesEach,
      kernelBytes: c.dying * cost.bytesEach,
      costSource: "test",
      cost,
    },
    subtrees: [],
    empty: { checked: true, minAgeSeconds: 600, count: 0, groups: [] },
    kmem: { checked: true, on: c.kmem ? pods : 0, of: LIVE, podOn: c.kmem ? pods : 0, podOf: pods, examples: [] },
    meminfo: { percpuBytes: null, sUnreclaimBytes: null, swapTotalBytes: c.swap ? 1 << 30 : 0, memTotalBytes: null },
    thresholds: { warn: 0.7, crit: 0.9, dyingWarn: 5000 },
    timings: { walkSeconds: 0, scanSeconds: 0 },
  };
}

function logs(hit: boolean): LogReport | null {
  if (!hit) return null;
  const sample = {
    source: "/var/log/messages",
    lineNumber: 7,
    line: "mkdir /sys/fs/cgroup/memory/kubepods/x: no space left on device",
  };
  return {
    sources: [{ source: "/var/log/messages", ok: true }],
    total: 1,
    findings: [{ kind: "mkdir-enospc", count: 1, undated: 0, samples: [sample] }],
  } as unknown as LogReport;
}

function run(c: Case): Assessed {
  const s = snapshot(c);
  const boot = parseCmdline(s.kernel.cmdline ?? "");
  return assess({
    snapshot: s,
    model: kernelModel(s.kernel.release, boot),
    boot,
    runtimes: null,
    logs: logs(c.logHit),
  });
}

const SEVERE = new Set(["warning", "critical"]);
const RANK = { ok: 0, warning: 1, critical: 2 } as const;

test("assess: every non-OK status has a warning-or-critical finding that explains it, over the whole matrix", () => {
  let n = 0;
  for (const c of cases()) {
    const a = run(c);
    n++;
    const severe = a.findings.filter((f) => SEVERE.has(f.severity));
    if (a.status.level !== "ok")
      assert.ok(severe.length > 0, `${JSON.stringify(c)}: ${a.status.level} with no finding`);
    for (const f of severe)
      assert.ok(
        RANK[a.status.level] >= RANK[f.severity as "warning" | "critical"],
        `${JSON.stringify(c)}: ${f.id} ${f.severity} above status ${a.status.level}`,
      );
    for (const f of a.findings)
      assert.doesNotMatch(f.fix.join(" "), /see the other findings/i, `${JSON.stringify(c)}: ${f.id}`);
    if (a.status.level !== "ok")
      assert.notEqual(a.assessment.remedy.action, "none", `${JSON.stringify(c)}: ${a.status.level} with nothing to do`);
  }
  assert.equal(n, Object.keys(KERNELS).length * 2 * 2 * DYING.length * 2 * 2 * 2);
});

test("assess: kured reboots exactly when the remedy is a reboot, and only where dying memcgs certainly hold IDs past the critical mark", () => {
  let reboots = 0;
  for (const c of cases()) {
    const a = run(c);
    const r = a.assessment;
    assert.equal(r.reboot.needed, r.remedy.action === "reboot", JSON.stringify(c));
    if (!r.reboot.needed) continue;
    reboots++;
    assert.equal(a.ids.dyingHoldIds, true, JSON.stringify(c));
    assert.ok(a.ids.usedLow / MEMCG_ID_CAP >= 0.9, JSON.stringify(c));
    assert.equal(a.status.level, "critical", JSON.stringify(c));
    assert.ok(r.risk.atRiskNow);
  }
  assert.ok(reboots > 0, "the matrix has nodes that need a reboot");
});

test("assess: RHEL 7 (every 3.10 build) counts dying memcgs as ID holders and never says such memcgs are freed", () => {
  for (const c of cases()) {
    if (!c.kernel.startsWith("el7") || c.dying > MEMCG_ID_CAP - LIVE) continue;
    const a = run(c);
    assert.equal(a.ids.dyingHoldIds, true, JSON.stringify(c));
    assert.equal(a.ids.usedLow, LIVE + c.dying);
    const text = JSON.stringify(a.findings) + a.status.sentence + a.assessment.remedy.sentence;
    assert.doesNotMatch(text, /(?<!never )frees such memcgs|hold no IDs|is fixed/i, JSON.stringify(c));
    if (c.dying >= 5000)
      assert.ok(
        a.findings.some((f) => f.id === "dying-hold-ids" && SEVERE.has(f.severity)),
        JSON.stringify(c),
      );
  }
});

test("assess: the issue's 7.9 node (29,977 dying of 30,000, kmem on) is a warning that names the cause and reclaims first", () => {
  const a = run({
    kernel: "el7-1160",
    kmem: true,
    swap: false,
    dying: 29_977 - 477,
    nokmem: false,
    pinned: true,
    logHit: false,
  });
  assert.equal(a.status.level, "warning");
  const f = a.findings.find((x) => x.id === "dying-hold-ids");
  assert.ok(f);
  assert.match(f.title, /kmem accounting is on/);
  assert.equal(a.assessment.remedy.action, "reclaim");
  assert.equal(a.assessment.reboot.needed, false);
  assert.match(a.assessment.reboot.why, /can still be freed/);
});

test("assess: at the cap on 7.9 with nothing reclaimable pinning them, the remedy and kured agree on a reboot", () => {
  const a = run({
    kernel: "el7-1160",
    kmem: true,
    swap: false,
    dying: 65_000,
    nokmem: false,
    pinned: false,
    logHit: false,
  });
  assert.equal(a.status.level, "critical");
  assert.equal(a.assessment.remedy.action, "reboot");
  assert.equal(a.assessment.reboot.needed, true);
});

test("assess: measurement beats the model: more memcgs than IDs on a 3.10 kernel means dying ones hold none here", () => {
  const a = run({
    kernel: "el7-1160",
    kmem: true,
    swap: false,
    dying: 70_000,
    nokmem: false,
    pinned: false,
    logHit: false,
  });
  assert.equal(a.ids.dyingHoldIds, false);
  assert.equal(a.assessment.reboot.needed, false);
  assert.ok(a.findings.some((f) => f.id === "measured-vs-model" && f.severity === "warning"));
});

test("assess: measurement beats the model: mkdir failing in the logs with few live memcgs makes dying ones possible ID holders", () => {
  const a = run({
    kernel: "upstream-6.12",
    kmem: false,
    swap: true,
    dying: 30_000,
    nokmem: false,
    pinned: true,
    logHit: true,
  });
  assert.equal(a.ids.dyingHoldIds, "unknown");
  assert.equal(a.ids.usedHigh, LIVE + 30_000);
  assert.ok(a.assessment.risk.atRiskNow);
  assert.ok(a.findings.some((f) => f.id === "measured-vs-model"));
});

test("assess: a vendor kernel is judged by its base version, says so, and says what settles it", () => {
  const a = run({
    kernel: "vendor-4.19",
    kmem: false,
    swap: false,
    dying: 150,
    nokmem: false,
    pinned: true,
    logHit: false,
  });
  assert.equal(a.assessment.kernel.placement.exact, false);
  const f = a.findings.find((x) => x.id === "kernel-placement");
  assert.ok(f);
  assert.match(f.title, /judged by base version 4\.19\.91/);
  assert.match(a.ids.basis, /judged by base version 4\.19\.91.*what settles it/);
});

test("assess: nokmem on RHEL 7 says why the kmem leak finding is gone", () => {
  const a = run({
    kernel: "el7-1062",
    kmem: false,
    swap: false,
    dying: 150,
    nokmem: true,
    pinned: true,
    logHit: false,
  });
  const f = a.findings.find((x) => x.id === "boot-line");
  assert.ok(f);
  assert.match(f.title, /cgroup\.memory=nokmem: the kmem-and-fork leak cannot happen here/);
});

test("assess: a node at the warning mark is at risk now, whatever the trend; below it, not", () => {
  const at = run({
    kernel: "el7-1160",
    kmem: true,
    swap: false,
    dying: 46_000,
    nokmem: false,
    pinned: true,
    logHit: false,
  });
  assert.ok(at.assessment.risk.atRiskNow);
  const below = run({
    kernel: "debian-6.12",
    kmem: false,
    swap: false,
    dying: 150,
    nokmem: false,
    pinned: true,
    logHit: false,
  });
  assert.equal(below.assessment.risk.atRiskNow, false);
});

test("assess: with swap on, the swap bound tightens the ID range, and the swap-ids finding explains a node at risk", () => {
  const c: Case = {
    kernel: "upstream-6.12",
    kmem: false,
    swap: true,
    dying: 60_000,
    nokmem: false,
    pinned: false,
    logHit: false,
  };
  const s = snapshot(c);
  const model = kernelModel(s.kernel.release);
  const loose = assess({ snapshot: s, model, boot: null, runtimes: null, logs: null });
  assert.equal(loose.ids.usedHigh, LIVE + 60_000);
  assert.equal(
    loose.status.level,
    "warning",
    "possibly past the mark: a warning, never critical, on an unproven range",
  );
  assert.ok(loose.findings.some((f) => f.id === "swap-ids" && f.severity === "warning"));
  const tight = assess({
    snapshot: { ...s, swapPinnedIds: { pinnedHigh: 20, visited: 3, basis: "test" } },
    model,
    boot: null,
    runtimes: null,
    logs: null,
  });
  assert.equal(tight.ids.usedHigh, LIVE + 20);
  assert.equal(tight.assessment.risk.atRiskNow, false);
});
