import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS, type ScanOptions } from "../scan.js";
import { classifyRuntimes, parseVersionOverrides } from "../knowledge/runtime-facts.js";
import { copyFixture, fixtureRoot, runCli } from "../testing/fixtures.js";
import type { LogReport } from "../logs/scan-logs.js";
import { formatBytes } from "./format.js";

const OPTS: ScanOptions = { thresholds: DEFAULT_THRESHOLDS, deep: "auto", emptyMinAgeMs: 0 };

test("explain: a CentOS 7 node with runc rc92 gets the kmem verdict and the three fixes", () => {
  const runtimes = classifyRuntimes(parseVersionOverrides("runc=1.0.0-rc92,kubelet=1.18.3"));
  const r = runScan(new Host(fixtureRoot("centos7-v1-near-cap")), { ...OPTS, runtimes });
  const f = r.findings[0]!;
  assert.equal(f.id, "kmem-fork-leak");
  assert.equal(f.severity, "critical");
  assert.match(
    f.title,
    /^runc 1\.0\.0-rc92 and kubelet 1\.18\.3 switch kmem accounting on \(on in 36 of 36 pod memcgs\) on kernel 3\.10\.0-862\.9\.1\.el7\.x86_64, which never frees such memcgs/,
  );
  assert.match(f.fix.join("\n"), /BUILDTAGS="seccomp nokmem"/);
  assert.match(f.fix.join("\n"), /kubelet to 1\.21\.2 or later/);
  assert.match(f.fix.join("\n"), /cgroup\.memory=nokmem/);
  assert.match(f.fix.at(-1)!, /65,469 memcgs already leaked are freed only by a reboot: drain the node first/);
  assert.deepEqual(
    r.findings.map((x) => x.id),
    ["kmem-fork-leak", "dying-hold-ids", "id-cap"],
  );
  assert.equal(r.assessment.remedy.action, "reboot");
});

test("explain: runc rc94 and kubelet 1.22 on the same kernel still show the leak the pod memcgs prove", () => {
  const runtimes = classifyRuntimes(parseVersionOverrides("runc=1.0.0-rc94,kubelet=1.22.0"));
  const r = runScan(new Host(fixtureRoot("centos7-v1-near-cap")), { ...OPTS, runtimes });
  const f = r.findings.find((x) => x.id === "kmem-fork-leak")!;
  assert.match(f.title, /^Something \(runc or kubelet\) switches kmem accounting on \(on in 36 of 36 pod memcgs\)/);
});

test("explain: booted with cgroup.memory=nokmem, the CentOS 7 kernel does not leak: no kmem verdict", () => {
  const dir = copyFixture("centos7-v1-near-cap");
  try {
    fs.appendFileSync(path.join(dir, "proc/cmdline"), "");
    fs.writeFileSync(
      path.join(dir, "proc/cmdline"),
      "BOOT_IMAGE=/vmlinuz-3.10.0-1062.el7.x86_64 ro cgroup.memory=nokmem\n",
    );
    fs.writeFileSync(path.join(dir, "proc/sys/kernel/osrelease"), "3.10.0-1062.el7.x86_64\n");
    const r = runScan(new Host(dir), OPTS);
    assert.equal(
      r.findings.find((x) => x.id === "kmem-fork-leak"),
      undefined,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("explain: a real cgroup v2 node whose dying memcgs pin page cache gets the v2 reclaim advice", () => {
  const r = runScan(new Host(fixtureRoot("v2-debian-6.12-kubepods")), {
    ...OPTS,
    thresholds: { ...DEFAULT_THRESHOLDS, dyingWarn: 10 },
  });
  const f = r.findings.find((x) => x.id === "dying-pinned")!;
  assert.equal(f.severity, "warning");
  // the fixture has no /sys: the cost model figures it for 1 CPU and says so (docs/cost-model.md)
  assert.equal(r.dying.kernelBytes, 19 * r.dying.kernelBytesEach);
  assert.equal(r.dying.cost.cpus, 1);
  assert.equal(
    f.title,
    `19 dying memcgs pin 832 KiB of page cache under kubepods.slice and cost ~${formatBytes(r.dying.kernelBytes)} of kernel memory: they do not use IDs on this kernel; cgleak reclaim can free the ones page cache pins`,
  );
  assert.ok(f.evidence.some((e) => /cost model dying-cost\/1/.test(e.from) && /CPU count unknown/.test(e.value)));
  assert.ok(f.evidence.some((e) => /memory\.stat reads do not slow down/.test(e.value)));
  assert.match(f.fix[0]!, /drop_caches 2: on v2 the memcg goes only when the inodes it wrote are evicted/);
  assert.ok(f.evidence.some((e) => /memory\.reclaim/.test(e.value) && /does not free/.test(e.value)));
});

test("explain: a few dying memcgs on a modern node are no finding", () => {
  const r = runScan(new Host(fixtureRoot("v2-debian-6.12-kubepods")), OPTS);
  assert.equal(
    r.findings.find((x) => x.id === "dying-pinned"),
    undefined,
  );
});

test("explain: an unknown kernel gives an 'unknown' finding, never a confident verdict", () => {
  const dir = copyFixture("centos7-v1-near-cap");
  try {
    fs.writeFileSync(path.join(dir, "proc/sys/kernel/osrelease"), "banana-kernel\n");
    const r = runScan(new Host(dir), OPTS);
    assert.equal(r.ids.dyingHoldIds, "unknown");
    assert.ok(r.ids.usedLow < r.ids.usedHigh, "ID use is a range");
    assert.ok(r.findings.some((f) => f.id === "unknown-kernel" && f.severity === "unknown"));
    assert.equal(
      r.findings.find((f) => f.id === "kmem-fork-leak"),
      undefined,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("explain: the mkdir failure in the logs ranks first; a warning while the numbers are fine, critical once they are not", () => {
  const logs: LogReport = {
    sources: [{ name: "/var/log/messages", type: "file", ok: true, lines: 10 }],
    total: 3,
    findings: [
      {
        kind: "mkdir-enospc",
        count: 3,
        undated: 0,
        last: "2018-12-24T03:54:31.000Z",
        components: { dockerd: 3 },
        errnos: { ENOSPC: 3 },
        paths: 1,
        samples: [
          {
            source: "/var/log/messages",
            lineNumber: 7,
            component: "dockerd",
            line: "mkdir /sys/fs/cgroup/memory/kubepods/x: no space left on device",
          },
        ],
      },
    ],
  };
  const r = runScan(new Host(fixtureRoot("hybrid-v1-memory")), { ...OPTS, logs });
  assert.equal(r.findings[0]?.id, "log-signature");
  assert.equal(r.findings[0]?.severity, "warning");
  assert.equal(r.status.level, "warning", "a log hit raises the status: status and findings never disagree");
  assert.match(r.findings[0]!.title, /3 × no space left on device/);
  assert.match(r.findings[0]!.fix[0]!, /older than the last reboot or release/);
  const full = runScan(new Host(fixtureRoot("el7.9-cap-kmem-nopagecache")), { ...OPTS, logs });
  assert.equal(full.findings[0]?.id, "log-signature");
  assert.equal(full.findings[0]?.severity, "critical");
  assert.equal(full.findings[0]?.fix[0], full.assessment.remedy.sentence);
});

test("CLI: explain --versions on the CentOS 7 fixture prints the kmem verdict with evidence and fixes", () => {
  const r = runCli([
    "explain",
    "--host-root",
    fixtureRoot("centos7-v1-near-cap"),
    "--versions",
    "runc=1.0.0-rc92,kubelet=1.18.3",
    "--no-logs",
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^CRITICAL: /);
  assert.match(r.stdout, /^reboot: yes, /m);
  assert.match(r.stdout, /^1\. \[CRITICAL\] runc 1\.0\.0-rc92/m);
  assert.match(r.stdout, /evidence: kmem accounting on in 36 of 36 pod memcgs/);
  const bad = runCli(["explain", "--versions", "crun=1.0"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown tool "crun"/);
});
