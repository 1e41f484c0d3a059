import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { copyFixture, fixtureRoot } from "../testing/fixtures.js";
import { startServe, getText, metricValue, sleep, waitFor } from "../testing/serve.js";

const FIXTURE = "centos7-v1-near-cap";
const promtool = spawnSync("which", ["promtool"]).status === 0;

test("serve on a fixture host: /metrics carries /api/status's figures and passes promtool check metrics", async () => {
  const s = await startServe(["--host-root", fixtureRoot(FIXTURE), "--db", ":memory:", "--interval", "1s"]);
  try {
    const metrics = await getText(`${s.url}/metrics`);
    assert.equal(metrics.status, 200);
    const st = JSON.parse((await getText(`${s.url}/api/status`)).text);
    const m = (series: string): number | undefined => metricValue(metrics.text, series);
    assert.equal(m("cgleak_memcg_kernel_cgroups"), st.sample.total);
    assert.equal(m('cgleak_memcg_cgroups{state="live"}'), st.report.memcg.live);
    assert.equal(m('cgleak_memcg_cgroups{state="dying"}'), st.report.memcg.dying);
    assert.equal(m('cgleak_memcg_ids_used{bound="high"}'), st.report.ids.usedHigh);
    assert.equal(m("cgleak_memcg_ids_used_ratio"), st.report.ids.usedRatio);
    assert.equal(m("cgleak_memcg_dying_pinned_bytes"), st.report.dying.pinnedBytes);
    assert.equal(m("cgleak_memcg_kmem_enabled_cgroups"), st.report.kmem.on);
    // kubepods' own directory plus its QoS subtrees, summed into one top-level series.
    const kube = st.report.subtrees.filter((t: { path: string }) => t.path.split("/")[0] === "kubepods");
    assert.equal(
      m('cgleak_memcg_subtree_cgroups{subtree="kubepods",state="live"}'),
      kube.reduce((n: number, t: { live: number }) => n + t.live, 0),
    );
    assert.equal(m('cgleak_collector_success{collector="walk"}'), 1);
    // One series per controller counted, none for those not counted (this fixture has no other hierarchy).
    const cs: Array<{ name: string; dying: number | null }> = st.report.controllers;
    for (const c of cs) assert.equal(m(`cgleak_cgroups_dying{controller="${c.name}"}`), c.dying ?? undefined, c.name);
    assert.equal(m('cgleak_cgroups_dying{controller="memory"}'), 65469);
    assert.equal(m("cgleak_memcg_time_to_cap_seconds"), undefined, "one sample: no forecast yet");
    assert.ok(st.freshness.sampleAgeSeconds >= 0 && st.freshness.walkIntervalSeconds === 300);
    if (promtool) {
      const r = spawnSync("promtool", ["check", "metrics"], { input: metrics.text, encoding: "utf8" });
      assert.equal(r.status, 0, `promtool check metrics: ${r.stdout}${r.stderr}`);
    }
  } finally {
    await s.stop();
  }
});

test("a collector that throws reports success 0 and the scrape still answers", async () => {
  const root = copyFixture(FIXTURE);
  const s = await startServe(["--host-root", root, "--db", ":memory:", "--interval", "200ms"]);
  try {
    fs.writeFileSync(path.join(root, "proc/cgroups"), "#subsys_name\thierarchy\nmemory\tbroken\n");
    const text = await waitFor("cheap collector failure", 5000, async () => {
      const r = await getText(`${s.url}/metrics`);
      return metricValue(r.text, 'cgleak_collector_success{collector="cheap"}') === 0 ? r : undefined;
    });
    assert.equal(text.status, 200);
    assert.equal(
      metricValue(text.text, 'cgleak_memcg_cgroups{state="live"}'),
      61,
      "the last walk's figures stay served",
    );
    assert.match(s.stderr(), /cheap failed: .*\/proc\/cgroups/);
  } finally {
    await s.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("SIGTERM stops the daemon with code 0 within 2 s", async () => {
  const s = await startServe(["--host-root", fixtureRoot(FIXTURE), "--db", ":memory:", "--interval", "1s"]);
  await getText(`${s.url}/metrics`);
  const { code, ms } = await s.stop();
  assert.equal(code, 0, s.stderr());
  assert.ok(ms < 2000, `took ${ms} ms`);
  assert.match(s.stderr(), /SIGTERM: stopped/);
});

test("a corrupt database file: one clear error naming it, and metrics served from memory", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-serve-db-"));
  const db = path.join(dir, "cgleak.db");
  fs.writeFileSync(db, "this is not a database ".repeat(300));
  const s = await startServe(["--host-root", fixtureRoot(FIXTURE), "--db", db, "--interval", "200ms"]);
  try {
    const r = await getText(`${s.url}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(metricValue(r.text, 'cgleak_collector_success{collector="store"}'), 0);
    assert.equal(metricValue(r.text, "cgleak_memcg_kernel_cgroups"), 65530);
    const errors = s
      .stderr()
      .split("\n")
      .filter((l) => l.includes(db));
    assert.equal(errors.length, 1, s.stderr());
    assert.doesNotMatch(s.stderr(), /\n\s+at /, "no stack trace");
    const h = JSON.parse((await getText(`${s.url}/api/history?since=1h`)).text);
    assert.ok(h.samples.length >= 1 && h.source.startsWith("memory"));
  } finally {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a restart resumes from the stored history", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-serve-db-"));
  const db = path.join(dir, "cgleak.db");
  const args = ["--host-root", fixtureRoot(FIXTURE), "--db", db, "--interval", "200ms"];
  try {
    const first = await startServe(args);
    await waitFor("three samples", 5000, async () => {
      const h = JSON.parse((await getText(`${first.url}/api/history?since=1h`)).text);
      return h.samples.length >= 3 ? true : undefined;
    });
    assert.equal((await first.stop()).code, 0);
    const restartedAt = Date.now();
    const second = await startServe(args);
    try {
      const h = JSON.parse((await getText(`${second.url}/api/history?since=1h`)).text);
      assert.ok(h.samples.filter((x: { t: number }) => x.t < restartedAt).length >= 3, JSON.stringify(h).slice(0, 300));
      const f = JSON.parse((await getText(`${second.url}/api/forecast`)).text);
      assert.ok(f.forecast.window.samples > 3, "the forecast window holds the samples from before the restart");
    } finally {
      await second.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a locked database: logged once, metrics keep answering, and the samples land once the lock goes", async () => {
  const { default: Database } = await import("better-sqlite3");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-serve-db-"));
  const db = path.join(dir, "cgleak.db");
  const args = ["--host-root", fixtureRoot(FIXTURE), "--db", db, "--interval", "200ms"];
  try {
    const first = await startServe(args); // creates the database
    await first.stop();
    const holder = new Database(db);
    holder.exec("BEGIN EXCLUSIVE");
    const s = await startServe(args);
    let log = "";
    try {
      const r = await waitFor("store failure", 5000, async () => {
        const m = await getText(`${s.url}/metrics`);
        return metricValue(m.text, 'cgleak_collector_success{collector="store"}') === 0 ? m : undefined;
      });
      assert.equal(metricValue(r.text, "cgleak_memcg_kernel_cgroups"), 65530);
      // The lock is still held: a scrape that answers at all did not wait for it.
      assert.equal((await getText(`${s.url}/metrics`)).status, 200, "a scrape does not wait for the lock");
      await sleep(1200); // five ticks' samples wait in memory
      assert.equal(
        metricValue((await getText(`${s.url}/metrics`)).text, 'cgleak_collector_success{collector="store"}'),
        0,
      );
      holder.exec("ROLLBACK");
      await waitFor("store recovery", 5000, async () => (/store: recovered/.test(s.stderr()) ? true : undefined));
      assert.equal(
        s
          .stderr()
          .split("\n")
          .filter((l) => /store failed/.test(l)).length,
        1,
        s.stderr(),
      );
    } finally {
      await s.stop();
      log = s.stderr();
      holder.close();
    }
    const check = new Database(db, { readonly: true });
    const n = (check.prepare("SELECT count(*) AS n FROM sample").get() as { n: number }).n;
    check.close();
    assert.ok(n >= 7, `samples kept through the lock were written: ${n}\n${log}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const noUnshare =
  process.getuid?.() !== 0
    ? "needs root to mount a small tmpfs"
    : spawnSync("which", ["unshare"]).status !== 0
      ? "needs unshare (util-linux)"
      : false;

test(
  "a full disk: logged once, metrics keep answering, and the samples land once space is back",
  { skip: noUnshare, timeout: 30_000 },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-serve-full-"));
    // A 256 KiB tmpfs in a private mount namespace (gone with the process), nearly filled up.
    const script = `mount -t tmpfs -o size=256k tmpfs ${dir} && head -c 200000 /dev/zero > ${dir}/fill && exec "$@"`;
    const { SERVE_CLI } = await import("../testing/serve.js");
    const proc = spawn(
      "unshare",
      [
        "-m",
        "sh",
        "-c",
        script,
        "sh",
        process.execPath,
        SERVE_CLI,
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--host-root",
        fixtureRoot(FIXTURE),
        "--db",
        `${dir}/cgleak.db`,
        "--interval",
        "100ms",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let err = "";
    proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    try {
      const url = await waitFor("listening", 10_000, async () => /listening on (http:\/\/[^/\s]+)/.exec(err)?.[1]);
      const inside = `/proc/${proc.pid}/root${dir}`; // the tmpfs as the daemon sees it
      const r = await waitFor("store failure", 20_000, async () => {
        const m = await getText(`${url}/metrics`);
        return metricValue(m.text, 'cgleak_collector_success{collector="store"}') === 0 ? m : undefined;
      });
      assert.equal(r.status, 200);
      assert.match(err, /full/);
      fs.rmSync(`${inside}/fill`);
      await waitFor(`store recovery:\n${err}`, 10_000, async () => (/store: recovered/.test(err) ? true : undefined));
      assert.equal(err.split("\n").filter((l) => /store failed/.test(l)).length, 1, err);
    } finally {
      proc.kill("SIGTERM");
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once("exit", r)));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test("a port in use: one line naming the address, exit 1", async () => {
  const net = await import("node:net");
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
  const port = (taken.address() as { port: number }).port;
  try {
    const { runCli } = await import("../testing/fixtures.js");
    const r = await new Promise<ReturnType<typeof runCli>>((resolve) =>
      setImmediate(() =>
        resolve(
          runCli(["serve", "--host-root", fixtureRoot(FIXTURE), "--db", ":memory:", "--listen", `127.0.0.1:${port}`]),
        ),
      ),
    );
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), `cgleak: cannot listen on 127.0.0.1:${port}: the address is in use`);
  } finally {
    taken.close();
  }
});
