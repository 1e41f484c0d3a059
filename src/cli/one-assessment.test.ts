import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyFixture, fixtureRoot, runCli, TESTDATA } from "../testing/fixtures.js";
import type { ScanReport } from "../analyze/report.js";
import { createMetrics } from "../sinks/metrics.js";

/** Every fixture host that is a whole host root (container-view keeps its host under host/). */
const HOSTS = fs
  .readdirSync(`${TESTDATA}/hosts`, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== "no-memory-controller")
  .map((d) => (d.name === "container-view" ? `${d.name}/host` : d.name));

const SEVERE = new Set(["warning", "critical"]);

async function metricsOf(report: ScanReport): Promise<string> {
  const m = createMetrics("test");
  m.export({ report, sample: null, forecast: null, lastWalkMs: null, walks: 1, collectors: {} });
  return (await m.render()).toString();
}

for (const host of HOSTS) {
  test(`one assessment: scan, scan --json, check, check --kured, explain and /metrics agree on ${host}`, async () => {
    const root = fixtureRoot(host);
    const json = runCli(["scan", "--json", "--host-root", root]);
    assert.equal(json.status, 0, json.stderr);
    const r = JSON.parse(json.stdout) as ScanReport;
    const level = r.status.level;
    if (level !== "ok")
      assert.ok(
        r.findings.some((f) => SEVERE.has(f.severity)),
        `${host}: ${level} with no finding to explain it`,
      );
    assert.equal(r.assessment.reboot.needed, r.assessment.remedy.action === "reboot");

    const text = runCli(["scan", "--host-root", root]);
    assert.equal(text.stdout.split("\n")[0], `${level.toUpperCase()}: ${r.status.sentence}`);

    const check = runCli(["check", "--host-root", root]);
    assert.equal(check.status, level === "ok" ? 0 : 1, check.stdout);
    assert.match(check.stdout, new RegExp(`^${level.toUpperCase()}: memcg IDs`));

    const kured = runCli(["check", "--kured", "--host-root", root]);
    assert.equal(kured.status, r.assessment.reboot.needed ? 0 : 1, kured.stdout);
    assert.equal(
      kured.stdout.trim().startsWith(r.assessment.reboot.needed ? "REBOOT:" : "NO REBOOT:"),
      true,
      kured.stdout,
    );

    const explain = runCli(["explain", "--json", "--no-logs", "--host-root", root, "--db", "/nonexistent/cgleak.db"]);
    assert.equal(explain.status, 0, explain.stderr);
    const e = JSON.parse(explain.stdout) as Pick<ScanReport, "status" | "assessment" | "findings">;
    // explain may learn more (runtime versions); with nothing more to learn it must say the same.
    if (e.findings.length === r.findings.length) assert.deepEqual(e.status, r.status);
    assert.equal(e.assessment.reboot.needed, e.assessment.remedy.action === "reboot");

    const metrics = await metricsOf(r);
    assert.match(metrics, new RegExp(`^cgleak_status\\{level="${level}"\\} 1$`, "m"));
    assert.match(metrics, new RegExp(`^cgleak_reboot_required ${r.assessment.reboot.needed ? 1 : 0}$`, "m"));
    assert.match(metrics, new RegExp(`^cgleak_at_risk ${r.assessment.risk.atRiskNow ? 1 : 0}$`, "m"));
    assert.match(metrics, new RegExp(`^cgleak_memcg_ids_used\\{bound="low"\\} ${r.ids.usedLow}$`, "m"));
  });
}

test("one assessment: the RHEL 7.9 fixtures reclaim first while page cache pins them, and reboot at the cap only when nothing reclaimable does", () => {
  const kured = (host: string): number | null => runCli(["check", "--kured", "--host-root", fixtureRoot(host)]).status;
  assert.equal(kured("el7.9-30k-kmem-pagecache"), 1);
  assert.equal(kured("el7.9-cap-kmem-pagecache"), 1);
  assert.equal(kured("el7.9-cap-kmem-nopagecache"), 0);
  assert.equal(kured("el7.8-cap-nokmem-nopagecache"), 0);
  const explain = runCli([
    "explain",
    "--no-logs",
    "--host-root",
    fixtureRoot("el7.9-30k-kmem-pagecache"),
    "--db",
    "/nonexistent/cgleak.db",
  ]);
  assert.match(explain.stdout, /^WARNING: /);
  assert.match(
    explain.stdout,
    /\[WARNING\] 29,939 dying memcgs each hold a memcg ID on kernel 3\.10\.0-1160\.49\.1\.el7\.x86_64/,
  );
  assert.doesNotMatch(explain.stdout, /No finding/);
});

test("one assessment: no memory controller names the reason from /proc/cgroups and the boot line", () => {
  const r = runCli(["scan", "--host-root", fixtureRoot("no-memory-controller")]);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /disabled at boot \(cgroup_disable=memory on the kernel command line; \/proc\/cgroups shows enabled 0\)\n$/,
  );
});

test("one assessment: more memcgs than IDs is impossible on an exactly placed 3.10 kernel, and evidence against the rule on a vendor one", () => {
  const dir = copyFixture("centos7-v1-near-cap");
  try {
    const cgroups = path.join(dir, "proc/cgroups");
    fs.writeFileSync(cgroups, fs.readFileSync(cgroups, "utf8").replace(/^memory\t8\t\d+/m, "memory\t8\t70000"));
    const exact = runCli(["check", "--kured", "--host-root", dir]);
    assert.equal(exact.status, 2, "an impossible number is no fact: UNKNOWN, never REBOOT");
    fs.writeFileSync(path.join(dir, "proc/sys/kernel/osrelease"), "3.10.0-957.21.3.vendorx.x86_64\n");
    const r = JSON.parse(runCli(["scan", "--json", "--host-root", dir]).stdout) as ScanReport;
    assert.equal(r.ids.dyingHoldIds, false);
    assert.ok(r.findings.some((f) => f.id === "measured-vs-model"));
    assert.equal(r.assessment.reboot.needed, false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
