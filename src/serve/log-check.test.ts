import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyFixture } from "../testing/fixtures.js";
import type { LogReport } from "../logs/scan-logs.js";
import { LogCheck, FIRST_LOOK_BACK_MS } from "./log-check.js";
import { startServe, getText, metricValue, waitFor } from "../testing/serve.js";

// The article's dockerd line (cgroup-leak-article.md), its syslog time replaced by `at`.
const ARTICLE = 'VM_16_11_centos dockerd[11419]: time="2018-12-24T11:54:31.195900301+08:00" level=error msg="Handler for POST /v1.31/containers/b98d4aea818bf9d1d1aa84079e1688cd9b4218e008c58a8ef6d6c3c106403e7b/start returned error: OCI runtime create failed: container_linux.go:348: starting container process caused \\"process_linux.go:279: applying cgroup configuration for process caused \\\\\\"mkdir /sys/fs/cgroup/memory/kubepods/burstable/pod79fe803c-072f-11e9-90ca-525400090c71/b98d4aea818bf9d1d1aa84079e1688cd9b4218e008c58a8ef6d6c3c106403e7b: no space left on device\\\\\\"\\": unknown"';
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const syslogTime = (d: Date): string => `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${d.toTimeString().slice(0, 8)}`;
const line = (at: Date): string => `${syslogTime(at)} ${ARTICLE}\n`;

const report = (count: number, undated: number): LogReport => ({
  sources: [{ name: "/var/log/messages", type: "file", ok: true, lines: 10 }], total: count,
  findings: count === 0 ? [] : [{ kind: "mkdir-enospc", count, undated, components: {}, errnos: {}, paths: 1, samples: [] }],
});

test("LogCheck: the first check looks back 24 h and counts all; later ones count dated lines only; a hit stays a finding for 24 h", () => {
  const c = new LogCheck();
  const t0 = 1_000_000_000_000;
  assert.equal(c.since(t0).getTime(), t0 - FIRST_LOOK_BACK_MS);
  assert.equal(c.fold(report(3, 1), t0).newLines, 3);
  assert.equal(c.since(t0 + 60_000).getTime(), t0, "the next check starts where this one was");
  c.fold(report(0, 0), t0 + 1500);
  assert.equal(c.since(t0 + 2000).getTime(), t0 + 1000, "from the start of that check's second: syslog has whole seconds");
  c.fold(report(0, 0), t0 + 30_000);
  assert.equal(c.fold(report(2, 1), t0 + 60_000).newLines, 1, "the undated line was counted already");
  const quiet = c.fold(report(0, 0), t0 + 120_000);
  assert.deepEqual([quiet.newLines, quiet.forFindings.total], [0, 2], "the last hit still feeds the findings");
  assert.equal(c.fold(report(0, 0), t0 + 60_000 + 24 * 3_600_000).forFindings.total, 0, "a day later it no longer does");
});

test("serve reads the host's /var/log/messages at each walk: the article's dockerd line counts and makes the log-signature finding", async () => {
  const root = copyFixture("centos7-v1-near-cap");
  const messages = path.join(root, "var/log/messages");
  fs.mkdirSync(path.dirname(messages), { recursive: true });
  const now = new Date();
  fs.writeFileSync(messages, line(new Date(now.getTime() - 3 * 86_400_000)) + "Nov  1 00:00:00 h systemd[1]: Started Session 1.\n" + line(new Date(now.getTime() - 60_000)));
  const s = await startServe(["--host-root", root, "--db", ":memory:", "--interval", "200ms", "--walk-interval", "500ms"]);
  try {
    const m = (await getText(`${s.url}/metrics`)).text;
    assert.equal(metricValue(m, "cgleak_log_signature_lines_total"), 1, "the line of 3 days ago is outside the first 24 h");
    const finding = m.split("\n").find((l) => l.startsWith('cgleak_finding{finding="log-signature"'));
    assert.ok(finding?.endsWith(" 1"), m.split("\n").filter((l) => l.startsWith("cgleak_finding")).join("\n"));
    fs.appendFileSync(messages, line(new Date()));
    const counted = await waitFor("the second line counted", 5000, async () => {
      const v = metricValue((await getText(`${s.url}/metrics`)).text, "cgleak_log_signature_lines_total");
      return v !== undefined && v >= 2 ? v : undefined;
    });
    // A line in the second a walk ran may be counted by that walk and the next (never missed); after
    // that second has passed, later walks add nothing.
    await new Promise((r) => setTimeout(r, 2500));
    const settled = metricValue((await getText(`${s.url}/metrics`)).text, "cgleak_log_signature_lines_total") as number;
    assert.ok(settled >= counted && settled <= 3, `counted ${counted}, then ${settled}`);
    await new Promise((r) => setTimeout(r, 1500)); // three more walks
    const later = (await getText(`${s.url}/metrics`)).text;
    assert.equal(metricValue(later, "cgleak_log_signature_lines_total"), settled, "old lines are not counted again");
    assert.ok(later.includes('cgleak_finding{finding="log-signature"'), "the finding stays while the lines are recent");
  } finally {
    await s.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
