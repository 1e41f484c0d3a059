import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as net from "node:net";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fixtureRoot } from "../testing/fixtures.js";
import { KUBE_CLI } from "../testing/kube-check.js";
import { rankFleet, type FleetAnswers } from "./rank.js";

const PROMETHEUS = "/usr/bin/prometheus";
const serveTesting = await import("../testing/serve.js").catch(() => null);
const skip = !fs.existsSync(PROMETHEUS)
  ? `${PROMETHEUS} not installed (Debian package prometheus)`
  : serveTesting === null
    ? "cgleak serve is not built yet (src/testing/serve.ts)"
    : false;
const NODES = ["centos7-v1-near-cap", "run-scope-leak", "hybrid-v1-memory"];

test("fleet: ranks nodes by headroom then time to the cap, top finding by severity", () => {
  const v = (node: string, value: number, extra: Record<string, string> = {}) => ({
    metric: { node, ...extra },
    value,
  });
  const a: FleetAnswers = {
    cap: [v("a", 65535), v("b", 65535), v("c", 65535)],
    used: [v("a", 1000), v("b", 60000), v("c", 1000)],
    ratio: [],
    dying: [],
    pinned: [],
    rate: [],
    ttcLow: [],
    ttc: [v("c", 3600)],
    findings: [
      v("b", 1, { finding: "kmem-fork", severity: "warning" }),
      v("b", 1, { finding: "ids-near-cap", severity: "critical" }),
    ],
    atRisk: [],
    status: [],
  };
  const rows = rankFleet(a);
  assert.deepEqual(
    rows.map((r) => r.node),
    ["b", "c", "a"],
  );
  assert.deepEqual(rows[0]?.topFinding, { id: "ids-near-cap", severity: "critical" });
  assert.equal(rows[0]?.findings, 2);
  assert.equal(rows[1]?.secondsToCap, 3600);
});

test("fleet: a node its own assessment calls at risk comes first and never reads 'not leaking'", async () => {
  const v = (node: string, value: number, extra: Record<string, string> = {}) => ({
    metric: { node, ...extra },
    value,
  });
  const a: FleetAnswers = {
    cap: [v("a", 65535), v("b", 65535)],
    used: [v("a", 20000), v("b", 10000)],
    ratio: [],
    dying: [],
    pinned: [],
    rate: [],
    ttcLow: [],
    ttc: [],
    findings: [],
    atRisk: [v("a", 0), v("b", 1)],
    status: [v("a", 1, { level: "ok" }), v("b", 1, { level: "warning" })],
  };
  const rows = rankFleet(a);
  assert.deepEqual(
    rows.map((r) => [r.node, r.atRisk, r.status]),
    [
      ["b", true, "warning"],
      ["a", false, "ok"],
    ],
  );
  const { renderFleet } = await import("./render.js");
  const text = renderFleet(rows, "http://p");
  assert.match(text.split("\n")[1] ?? "", /^b\s+WARNING \(at risk now\).*at risk now/);
  assert.doesNotMatch(text.split("\n")[1] ?? "", /not leaking/);
});

test("fleet: an unreachable Prometheus is one clear line and exit 1", async () => {
  const port = await freePort();
  const r = spawnSync(process.execPath, [KUBE_CLI, "fleet", "--prometheus", `http://127.0.0.1:${port}`], {
    encoding: "utf8",
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^cgleak: cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\n$/);
});

test(
  "fleet: a real Prometheus scraping three cgleak serve instances, one per fixture host",
  { skip, timeout: 90_000 },
  async () => {
    const st = serveTesting as NonNullable<typeof serveTesting>;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-fleet-"));
    const serves = await Promise.all(
      NODES.map((n) => st.startServe(["--host-root", fixtureRoot(n), "--db", ":memory:", "--interval", "1s"])),
    );
    let prom: ChildProcess | null = null;
    try {
      const jobs = serves
        .map((s, i) => `      - targets: ["${new URL(s.url).host}"]\n        labels: { node: "${NODES[i]}" }`)
        .join("\n");
      fs.writeFileSync(
        path.join(dir, "prometheus.yml"),
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: cgleak\n    static_configs:\n${jobs}\n`,
      );
      const port = await freePort();
      prom = spawn(
        PROMETHEUS,
        [
          `--config.file=${path.join(dir, "prometheus.yml")}`,
          `--storage.tsdb.path=${path.join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: "ignore" },
      );
      const url = `http://127.0.0.1:${port}`;
      await st.waitFor("three nodes in Prometheus", 60_000, async () => {
        const r = (await (await fetch(`${url}/api/v1/query?query=cgleak_memcg_ids_limit`)).json()) as {
          data: { result: unknown[] };
        };
        return r.data.result.length === 3 ? true : undefined;
      });
      const r = spawnSync(process.execPath, [KUBE_CLI, "fleet", "--prometheus", url, "--json"], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as {
        schema: string;
        nodes: Array<{ node: string; headroom: number; dying: number }>;
      };
      assert.equal(doc.schema, "cgleak.fleet/v1");
      // Each serve's own /api/status is the truth the ranking must reproduce.
      const truth = await Promise.all(
        serves.map(async (s, i) => {
          const st2 = (await (await fetch(`${s.url}/api/status`)).json()) as {
            report?: { ids: { headroom: number }; memcg: { dying: number } };
          };
          assert.ok(st2.report, `${NODES[i]}: serve has no report (fixture unreadable?)`);
          return { node: NODES[i] as string, headroom: st2.report.ids.headroom, dying: st2.report.memcg.dying };
        }),
      );
      const want = [...truth].sort((a, b) => a.headroom - b.headroom);
      assert.deepEqual(
        doc.nodes.map((n) => n.node),
        want.map((t) => t.node),
      );
      for (const t of truth) {
        const row = doc.nodes.find((n) => n.node === t.node);
        assert.equal(row?.headroom, t.headroom, t.node);
        assert.equal(row?.dying, t.dying, t.node);
      }
      assert.equal(doc.nodes[0]?.node, "centos7-v1-near-cap");
      const table = spawnSync(process.execPath, [KUBE_CLI, "fleet", "--prometheus", url], { encoding: "utf8" });
      assert.match(
        table.stdout.split("\n")[1] ?? "",
        /^centos7-v1-near-cap\s+CRITICAL \(at risk now\)\s+100 %\s+5\s+65,469/,
      );
    } finally {
      prom?.kill("SIGTERM");
      await Promise.all(serves.map((s) => s.stop()));
      if (prom && prom.exitCode === null) await new Promise((r) => prom?.once("exit", r));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
