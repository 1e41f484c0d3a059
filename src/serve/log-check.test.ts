import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyFixture } from "../testing/fixtures.js";
import * as os from "node:os";
import { Host } from "../host/host.js";
import { LogCheck, FIRST_LOOK_BACK_MS, KEEP_FINDING_MS } from "./log-check.js";
import { startServe, getText, metricValue, waitFor } from "../testing/serve.js";

// The article's dockerd line (cgroup-leak-article.md), its syslog time replaced by `at`.
const ARTICLE =
  'VM_16_11_centos dockerd[11419]: time="2018-12-24T11:54:31.195900301+08:00" level=error msg="Handler for POST /v1.31/containers/b98d4aea818bf9d1d1aa84079e1688cd9b4218e008c58a8ef6d6c3c106403e7b/start returned error: OCI runtime create failed: container_linux.go:348: starting container process caused \\"process_linux.go:279: applying cgroup configuration for process caused \\\\\\"mkdir /sys/fs/cgroup/memory/kubepods/burstable/pod79fe803c-072f-11e9-90ca-525400090c71/b98d4aea818bf9d1d1aa84079e1688cd9b4218e008c58a8ef6d6c3c106403e7b: no space left on device\\\\\\"\\": unknown"';
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const syslogTime = (d: Date): string =>
  `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${d.toTimeString().slice(0, 8)}`;
const line = (at: Date): string => `${syslogTime(at)} ${ARTICLE}\n`;

const DMESG = "[8643296.448116] mkdir /sys/fs/cgroup/memory/kubepods/pod9: no space left on device\n";

test("LogCheck: the first check looks back 24 h; a new line counts once, dated or not; a hit stays 24 h", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-logcheck-"));
  try {
    const messages = path.join(root, "var/log/messages");
    fs.mkdirSync(path.dirname(messages), { recursive: true });
    const t0 = Date.now();
    fs.writeFileSync(messages, line(new Date(t0 - FIRST_LOOK_BACK_MS - 3_600_000)) + line(new Date(t0 - 60_000)));
    const c = new LogCheck();
    const host = new Host(root);
    const sources = [{ type: "file" as const, path: "/var/log/messages" }];
    const at = async (ms: number): Promise<[number, number]> => {
      const r = await c.read(host, sources, t0 + ms);
      return [r.newLines, r.forFindings.total];
    };
    assert.deepEqual(await at(0), [1, 1], "the line of 25 h ago is outside the first window");
    assert.deepEqual(await at(30_000), [0, 1], "nothing new; the hit still feeds the findings");
    fs.appendFileSync(messages, DMESG + line(new Date(t0 + 40_000)));
    assert.deepEqual(await at(60_000), [2, 3], "an undated line is new once, not at every check");
    assert.deepEqual(await at(90_000), [0, 3]);
    fs.renameSync(messages, `${messages}.1`);
    fs.appendFileSync(`${messages}.1`, line(new Date(t0 + 95_000)));
    fs.writeFileSync(messages, line(new Date(t0 + 100_000)));
    assert.deepEqual(await at(120_000), [2, 5], "rotated: the old file finished, the new one read");
    assert.deepEqual(await at(KEEP_FINDING_MS + 119_000), [0, 5]);
    assert.deepEqual(await at(KEEP_FINDING_MS + 120_000), [0, 0], "a day after the last hit the finding goes");
    fs.appendFileSync(messages, line(new Date(t0 + KEEP_FINDING_MS + 130_000)));
    assert.deepEqual(await at(KEEP_FINDING_MS + 150_000), [1, 1], "a new spell counts from its own start");
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("serve reads the host's /var/log/messages at each walk: the article's dockerd line counts and makes the log-signature finding", async () => {
  const root = copyFixture("centos7-v1-near-cap");
  const messages = path.join(root, "var/log/messages");
  fs.mkdirSync(path.dirname(messages), { recursive: true });
  const now = new Date();
  fs.writeFileSync(
    messages,
    line(new Date(now.getTime() - 3 * 86_400_000)) +
      "Nov  1 00:00:00 h systemd[1]: Started Session 1.\n" +
      line(new Date(now.getTime() - 60_000)),
  );
  const s = await startServe([
    "--host-root",
    root,
    "--db",
    ":memory:",
    "--interval",
    "200ms",
    "--walk-interval",
    "500ms",
  ]);
  try {
    const m = (await getText(`${s.url}/metrics`)).text;
    assert.equal(
      metricValue(m, "cgleak_log_signature_lines_total"),
      1,
      "the line of 3 days ago is outside the first 24 h",
    );
    const finding = m.split("\n").find((l) => l.startsWith('cgleak_finding{finding="log-signature"'));
    assert.ok(
      finding?.endsWith(" 1"),
      m
        .split("\n")
        .filter((l) => l.startsWith("cgleak_finding"))
        .join("\n"),
    );
    fs.appendFileSync(messages, line(new Date()));
    const counted = await waitFor("the second line counted", 5000, async () => {
      const v = metricValue((await getText(`${s.url}/metrics`)).text, "cgleak_log_signature_lines_total");
      return v !== undefined && v >= 2 ? v : undefined;
    });
    // The logs are tailed: the appended line counts once, in the walk that first reads it.
    assert.equal(counted, 2);
    await new Promise((r) => setTimeout(r, 1500)); // three more walks
    const later = (await getText(`${s.url}/metrics`)).text;
    assert.equal(metricValue(later, "cgleak_log_signature_lines_total"), 2, "old lines are not counted again");
    assert.ok(later.includes('cgleak_finding{finding="log-signature"'), "the finding stays while the lines are recent");
  } finally {
    await s.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
