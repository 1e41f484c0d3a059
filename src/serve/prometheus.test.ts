import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fixtureRoot } from "../testing/fixtures.js";
import { startServe, getText, waitFor } from "../testing/serve.js";

const DEPLOY = fileURLToPath(new URL("../../deploy/prometheus/", import.meta.url));
const RULES = path.join(DEPLOY, "cgleak-rules.yml");
const has = (cmd: string): boolean => spawnSync("which", [cmd]).status === 0;
const noPromtool = has("promtool") ? false : "needs promtool (Debian package prometheus)";
const noPrometheus = has("prometheus") ? false : "needs /usr/bin/prometheus (Debian package prometheus)";

function promtool(args: string[]): void {
  const r = spawnSync("promtool", args, { cwd: DEPLOY, encoding: "utf8" });
  assert.equal(r.status, 0, `promtool ${args.join(" ")}:\n${r.stdout}${r.stderr}`);
}

test("the alert rules pass promtool check rules and their unit tests", { skip: noPromtool }, () => {
  promtool(["check", "rules", "cgleak-rules.yml"]);
  promtool(["test", "rules", "cgleak-rules.test.yml"]);
  promtool(["check", "config", "scrape-config.example.yml"]);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(prom: string, q: string): Promise<PromResult[]> {
  const r = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await r.json()) as { status: string; data: { result: PromResult[] } };
  assert.equal(body.status, "success", q);
  return body.data.result;
}

test(
  "a real Prometheus scrapes cgleak serve and stores the values /api/status reports",
  { skip: noPrometheus, timeout: 30_000 },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-prom-"));
    const served = await startServe([
      "--host-root",
      fixtureRoot("centos7-v1-near-cap"),
      "--db",
      ":memory:",
      "--interval",
      "1s",
    ]);
    const port = await freePort();
    const config = {
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: [RULES],
      scrape_configs: [{ job_name: "cgleak", static_configs: [{ targets: [served.url.replace("http://", "")] }] }],
    };
    fs.writeFileSync(path.join(dir, "prometheus.yml"), JSON.stringify(config)); // JSON is YAML
    const prom = spawn(
      "prometheus",
      [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: "ignore" },
    );
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitFor("two scrapes", 20_000, async () => {
        const r = await query(url, 'count_over_time(up{job="cgleak"}[1m])');
        return Number(r[0]?.value[1] ?? 0) >= 2 ? true : undefined;
      });
      const st = JSON.parse((await getText(`${served.url}/api/status`)).text);
      const one = async (q: string): Promise<number> => {
        const r = await query(url, q);
        assert.equal(r.length, 1, `${q}: ${JSON.stringify(r)}`);
        return Number(r[0]!.value[1]);
      };
      assert.equal(await one('up{job="cgleak"}'), 1);
      assert.equal(await one("cgleak_memcg_kernel_cgroups"), st.sample.total);
      assert.equal(await one('cgleak_memcg_cgroups{state="live"}'), st.report.memcg.live);
      assert.equal(await one('cgleak_memcg_cgroups{state="dying"}'), st.report.memcg.dying);
      assert.equal(await one('cgleak_memcg_ids_used{bound="high"}'), st.report.ids.usedHigh);
      assert.ok(Math.abs((await one("cgleak_memcg_ids_used_ratio")) - st.report.ids.usedRatio) < 1e-12);
      assert.equal(await one("cgleak_memcg_dying_pinned_bytes"), st.report.dying.pinnedBytes);
      assert.equal(await one('cgleak_collector_success{collector="walk"}'), 1);
      const subtrees = await query(url, 'cgleak_memcg_subtree_cgroups{state="live"}');
      assert.deepEqual(subtrees.map((r) => r.metric.subtree).sort(), ["kubepods", "system.slice", "user.slice"]);
      // The rules loaded into the real server, and the near-cap node's alert is on its way (for: 10m).
      const pending = await waitFor("MemcgIdsNearCap pending", 5000, async () => {
        const r = await query(url, 'ALERTS{alertname="MemcgIdsNearCap",alertstate="pending"}');
        return r.length === 1 ? r : undefined;
      });
      assert.equal(pending[0]!.metric.severity, "warning");
    } finally {
      prom.kill("SIGTERM");
      await served.stop();
      await new Promise((r) => (prom.exitCode !== null ? r(null) : prom.once("exit", r)));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
