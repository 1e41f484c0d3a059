import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { CLI, fixtureRoot, runCli } from "../testing/fixtures.js";
import { startServe, getText, metricValue, waitFor } from "../testing/serve.js";

// The writer and the server apart, as the deploy runs them: `reap --every --status-file` (the
// root container, no port) and `serve --reap-status` (the non-root one that listens). A dry run
// on a fixture host: no root, nothing written but the status file.
const HOST = fixtureRoot("hybrid-v1-memory");

interface Doc {
  enabled: boolean;
  dryRun: boolean;
  source: string | null;
  note: string | null;
  totals: { passes: Record<string, number> } | null;
  lastPass: { verdict: string } | null;
  unreclaimable: Array<{ path: string; reason: string }>;
}

function startWriter(file: string): { stop(): Promise<{ code: number | null; stderr: string }> } {
  const p = spawn(
    process.execPath,
    [CLI, "reap", "--every", "300ms", "--dry-run", "--target-dying", "0", "--status-file", file, "--host-root", HOST],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
  return {
    stop: async () => {
      p.kill("SIGTERM");
      return { code: await exited, stderr };
    },
  };
}

test("serve --reap-status shows what `reap --every` in another process wrote: /api/reap and /metrics", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-reapstatus-"));
  const file = path.join(dir, "reap.json");
  const writer = startWriter(file);
  try {
    const s = await startServe(["--host-root", HOST, "--db", ":memory:", "--interval", "200ms", "--reap-status", file]);
    try {
      const doc = await waitFor("two dry-run passes in /api/reap", 20_000, async () => {
        const d = JSON.parse((await getText(`${s.url}/api/reap`)).text) as Doc;
        return (d.totals?.passes["dry-run"] ?? 0) >= 2 ? d : undefined;
      });
      assert.equal(doc.enabled, true);
      assert.equal(doc.dryRun, true);
      assert.equal(doc.source, `status file ${file}`);
      assert.equal(doc.lastPass?.verdict, "dry-run");
      assert.match(doc.unreclaimable.map((u) => u.reason).join("\n"), /directly below the hierarchy root/);
      const m = await waitFor("the reaper's metrics", 10_000, async () => {
        const text = (await getText(`${s.url}/metrics`)).text;
        return metricValue(text, "cgleak_reap_interval_seconds") === 0.3 ? text : undefined;
      });
      assert.ok(
        (metricValue(m, 'cgleak_reap_unreclaimable_bytes{kind="root"}') ?? 0) > 0,
        "the root pins from the writer's last pass",
      );
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  } finally {
    const w = await writer.stop();
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stderr, /SIGTERM: stopped/);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("/api/reap says the reaper is off without one, and that the writer has not written yet when its file is missing", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-reapstatus-"));
  try {
    const off = await startServe(["--host-root", HOST, "--db", ":memory:"]);
    try {
      const d = JSON.parse((await getText(`${off.url}/api/reap`)).text) as Doc;
      assert.deepEqual([d.enabled, d.totals], [false, null]);
      assert.equal(
        metricValue((await getText(`${off.url}/metrics`)).text, "cgleak_reap_dying_freed_total"),
        undefined,
        "no reaper, no reaper metrics",
      );
    } finally {
      await off.stop();
    }
    const missing = await startServe([
      "--host-root",
      HOST,
      "--db",
      ":memory:",
      "--reap-status",
      path.join(dir, "none.json"),
    ]);
    try {
      const d = JSON.parse((await getText(`${missing.url}/api/reap`)).text) as Doc;
      assert.equal(d.enabled, true);
      assert.match(d.note ?? "", /has written no status yet/);
    } finally {
      await missing.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("usage: --reap with --reap-status, and reap's --status-file or --kube without --every, are one line and exit 2", () => {
  const both = runCli(["serve", "--reap", "--reap-status", "/tmp/x.json", "--host-root", HOST, "--db", ":memory:"]);
  assert.equal(both.status, 2);
  assert.equal(both.stderr, "cgleak serve: --reap-status shows a reaper in another process: not with --reap\n");
  const once = runCli(["reap", "--dry-run", "--status-file", "/tmp/x.json", "--host-root", HOST]);
  assert.equal(once.status, 2);
  assert.equal(once.stderr, "cgleak reap: --status-file and --kube need --every\n");
  const nodir = runCli([
    "reap",
    "--every",
    "1s",
    "--dry-run",
    "--status-file",
    "/nonexistent-dir/x.json",
    "--host-root",
    HOST,
  ]);
  assert.equal(nodir.status, 2);
  assert.equal(nodir.stderr, "cgleak reap: --status-file: the directory /nonexistent-dir does not exist\n");
});
