import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createMetrics } from "../sinks/metrics.js";
import { fixtureRoot } from "../testing/fixtures.js";
import { ExportList, LatestTick } from "./exporters.js";
import { compactionExporter } from "./store-exporter.js";
import { emptyTick, type Exporter, type Tick } from "./tick.js";
import { getText, metricValue, startServe, waitFor } from "../testing/serve.js";

const tick = (seq: number): Tick => emptyTick(seq, seq * 1000);

const errors = (text: string, exporter: string): number | undefined =>
  metricValue(text, `cgleak_exporter_errors_total{exporter="${exporter}"}`);

test("an exporter that throws stops no other, is counted, and is logged once until it recovers", async () => {
  const metrics = createMetrics("test");
  const got: number[] = [];
  let failing = true;
  const list: Exporter[] = [
    {
      name: "bad",
      export: () => {
        if (failing) throw new Error("disk full");
      },
    },
    {
      name: "rejects",
      export: async () => {
        if (failing) throw new Error("API server away");
      },
    },
    { name: "good", export: (t) => void got.push(t.seq) },
    metrics,
  ];
  const logs: string[] = [];
  const x = new ExportList(list, { log: (l) => logs.push(l), failed: metrics.exporterErrors(list.map((e) => e.name)) });
  const start = (await metrics.render()).toString();
  assert.deepEqual(
    ["bad", "rejects", "good", "metrics"].map((n) => errors(start, n)),
    [0, 0, 0, 0],
    "every series exists from the start",
  );
  for (const seq of [1, 2, 3]) {
    x.dispatch(tick(seq));
    await x.idle();
  }
  assert.deepEqual(got, [1, 2, 3], "the exporter after the failing ones got every tick");
  const text = (await metrics.render()).toString();
  assert.deepEqual([errors(text, "bad"), errors(text, "rejects"), errors(text, "good")], [3, 3, 0]);
  assert.deepEqual(logs, ["exporter bad failed: disk full", "exporter rejects failed: API server away"]);
  failing = false;
  x.dispatch(tick(4));
  await x.idle();
  assert.deepEqual(logs.slice(2), ["exporter bad: recovered", "exporter rejects: recovered"]);
});

test("an exporter still busy gets only the newest tick when it is done: in order, never queued up", async () => {
  const seen: number[] = [];
  let done = (): void => {};
  const slow: Exporter = {
    name: "slow",
    export: (t) => {
      seen.push(t.seq);
      return new Promise<void>((r) => (done = r));
    },
  };
  const api = new LatestTick("api");
  const x = new ExportList([slow, api], { log: () => {} });
  for (const seq of [1, 2, 3, 4]) x.dispatch(tick(seq));
  assert.equal(api.get()?.seq, 4, "a quick exporter is not held up by a slow one");
  done();
  await new Promise((r) => setImmediate(r));
  done();
  await x.idle();
  assert.deepEqual(seen, [1, 4]);
  assert.throws(() => new ExportList([api, new LatestTick("api")], { log: () => {} }), /two exporters are named api/);
});

test("serve: an unwritable NPD status file is counted per tick, logged once; the rest answers", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-exporter-"));
  const file = path.join(dir, "npd-status");
  const s = await startServe([
    "--host-root",
    fixtureRoot("centos7-v1-near-cap"),
    "--db",
    ":memory:",
    "--interval",
    "200ms",
    "--npd-status",
    file,
  ]);
  try {
    assert.ok(fs.existsSync(file));
    fs.rmSync(dir, { recursive: true, force: true }); // the next write has nowhere to go
    const text = await waitFor("two npd failures", 10_000, async () => {
      const r = await getText(`${s.url}/metrics`);
      return (errors(r.text, "npd") ?? 0) >= 2 ? r.text : undefined;
    });
    assert.equal(errors(text, "metrics"), 0);
    assert.equal(metricValue(text, 'cgleak_collector_success{collector="cheap"}'), 1, "the sampler goes on");
    const lines = s
      .stderr()
      .split("\n")
      .filter((l) => l.includes("exporter npd failed"));
    assert.equal(lines.length, 1, s.stderr());
    assert.match(lines[0] as string, new RegExp(`node-problem-detector status ${file}: ENOENT`));
  } finally {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the store exporter compacts the database on the first tick of each hour of ticks, not on every tick", () => {
  const at: number[] = [];
  const e = compactionExporter({ compact: (t) => void at.push(t) }, 0);
  for (const s of [1, 1800, 3599, 3600, 3601, 7199, 7200]) void e.export({ ...tick(1), atMs: s * 1000 });
  assert.deepEqual(at, [3_600_000, 7_200_000]);
});
