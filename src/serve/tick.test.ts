import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { DEFAULT_THRESHOLDS, runScan } from "../scan.js";
import type { ScanReport } from "../analyze/report.js";
import { copyFixture, setMemcgTotal } from "../testing/fixtures.js";
import { makeSampler } from "../testing/sampler.js";
import { ExportList } from "./exporters.js";
import { startLoop } from "./daemon.js";
import type { Tick } from "./tick.js";

const scan = { thresholds: DEFAULT_THRESHOLDS, deep: "auto" as const, emptyMinAgeMs: 600_000 };

test("a tick is frozen all the way down, and the next tick leaves it as it was", async () => {
  const root = copyFixture("centos7-v1-near-cap");
  try {
    const clock = { t: 1_000_000 };
    const { sampler } = makeSampler({
      host: new Host(root),
      scan,
      walkIntervalMs: 300_000,
      windowMs: 3_600_000,
      openStore: null,
      now: () => clock.t,
    });
    assert.equal(sampler.latest(), undefined, "no tick before the first");
    const first = await sampler.tick();
    assert.equal(sampler.latest(), first);
    const parts: Array<[string, unknown]> = [
      ["tick", first],
      ["report", first.report],
      ["memcg", first.report?.memcg],
      ["findings", first.report?.findings],
      ["a finding", first.report?.findings[0]],
      ["assessment", first.report?.assessment],
      ["sample", first.sample],
      ["forecast", first.forecast],
      ["window", first.window],
      ["collectors", first.collectors],
      ["cheap", first.collectors.cheap],
    ];
    for (const [what, v] of parts) assert.ok(v !== null && v !== undefined && Object.isFrozen(v), `${what} is frozen`);
    assert.throws(() => {
      (first as { walks: number }).walks = 99;
    }, TypeError);
    assert.throws(() => {
      (first.report as ScanReport).memcg.dying = 0;
    }, TypeError);
    assert.throws(() => {
      (first.window as unknown[]).push(first.sample);
    }, TypeError);
    const before = JSON.stringify(first);
    clock.t += 30_000;
    setMemcgTotal(root, 65_000);
    const second = await sampler.tick();
    assert.equal(JSON.stringify(first), before, "the first tick did not move");
    assert.deepEqual([first.seq, first.sample?.total, first.window.length, first.walked], [1, 65_530, 1, true]);
    assert.deepEqual([second.seq, second.sample?.total, second.window.length, second.walked], [2, 65_000, 2, false]);
    assert.equal(second.report, first.report, "a cheap tick carries the last walk's report");
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("exporters get ticks in the order made, though a walk ends after a cheap tick begun later", async () => {
  const root = copyFixture("centos7-v1-near-cap");
  const host = new Host(root);
  let open = (): void => {};
  const gate = new Promise<void>((r) => (open = r));
  const walk = async (extra: object): Promise<ScanReport> => {
    await gate;
    return runScan(host, { ...scan, ...extra });
  };
  const { sampler } = makeSampler({ host, scan, walkIntervalMs: 300_000, windowMs: 3_600_000, openStore: null, walk });
  const seen: Tick[] = [];
  const exporters = new ExportList([{ name: "recorder", export: (t) => void seen.push(t) }], { log: () => {} });
  const loop = startLoop({ tick: () => sampler.tick(), exporters, intervalMs: 3_600_000, log: () => {} });
  try {
    const walking = loop.step(); // the first tick walks, and waits at the gate
    await loop.step(); // meanwhile: a cheap tick, done first
    open();
    await walking;
    assert.deepEqual(
      seen.map((t) => [t.seq, t.walked]),
      [
        [1, false],
        [2, true],
      ],
    );
    assert.deepEqual(
      seen[1]?.window.map((s) => s.live === null),
      [true, false],
      "the walk's sample comes after the cheap one",
    );
  } finally {
    await loop.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
