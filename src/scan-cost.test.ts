import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Host } from "./host/host.js";
import { runScan, DEFAULT_THRESHOLDS, type ScanOptions } from "./scan.js";
import { copyFixture } from "./testing/fixtures.js";
import { DYING_COST_FITS } from "./knowledge/costs.js";

const OPTS: ScanOptions = { thresholds: DEFAULT_THRESHOLDS, deep: "auto", emptyMinAgeMs: 0 };

/** A captured 6.12 node given a sysfs topology. */
function scanWith(cpus: string, nodes: string | null): ReturnType<typeof runScan> {
  const dir = copyFixture("v2-debian-6.12-kubepods");
  try {
    fs.mkdirSync(path.join(dir, "sys/devices/system/cpu"), { recursive: true });
    fs.writeFileSync(path.join(dir, "sys/devices/system/cpu/possible"), cpus);
    if (nodes !== null) {
      fs.mkdirSync(path.join(dir, "sys/devices/system/node"), { recursive: true });
      fs.writeFileSync(path.join(dir, "sys/devices/system/node/possible"), nodes);
    }
    return runScan(new Host(dir), OPTS);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("scan: the dying cost scales with the possible CPUs read under the host root, and says how it was derived", () => {
  const small = scanWith("0-1\n", null);
  const big = scanWith("0-63\n", "0\n");
  const fit = DYING_COST_FITS.find((f) => f.series === big.dying.cost.series)!;
  assert.equal(big.dying.cost.cpus, 64);
  assert.equal(big.dying.kernelBytesEach, Math.round(fit.fixedBytes + 64 * fit.perCpuBytes));
  assert.equal(
    big.dying.kernelBytesEach - small.dying.kernelBytesEach,
    Math.round(fit.fixedBytes + 64 * fit.perCpuBytes) - Math.round(fit.fixedBytes + 2 * fit.perCpuBytes),
  );
  assert.equal(big.dying.kernelBytes, big.memcg.dying * big.dying.kernelBytesEach);
  assert.match(
    big.dying.costSource,
    /^dying-cost\/1: .* x 64 CPUs \(kernel 6\.\d+ fit; CPUs from \/sys\/devices\/system\/cpu\/possible; docs\/cost-model\.md/,
  );
  assert.match(small.dying.costSource, /no NUMA|x 2 CPUs/);
});

test("scan: a second NUMA node costs more where the fit measured it, and never less", () => {
  const one = scanWith("0-7\n", "0\n");
  const two = scanWith("0-7\n", "0-1\n");
  assert.equal(two.dying.cost.nodes, 2);
  assert.ok(two.dying.kernelBytesEach >= one.dying.kernelBytesEach);
  const fit = DYING_COST_FITS.find((f) => f.series === two.dying.cost.series)!;
  if (fit.perExtraNodeBytes !== null)
    assert.equal(
      two.dying.kernelBytesEach - one.dying.kernelBytesEach,
      fit.perExtraNodeBytes + 8 * fit.perCpuPerExtraNodeBytes!,
    );
});
