import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { dyingCost } from "./dying-cost.js";
import { DYING_COST_FITS } from "../knowledge/costs.js";
import type { Topology } from "../collect/topology.js";

const topo = (cpus: number | null, nodes: number | null = 1): Topology => ({
  cpus,
  cpusFrom: "/sys/devices/system/cpu/possible",
  nodes,
  nodesFrom: "/sys/devices/system/node/possible",
});

test("the cost grows by the per-CPU part for each possible CPU", () => {
  for (const fit of DYING_COST_FITS) {
    const release = `${fit.series}.0`;
    const c32 = dyingCost(release, topo(32));
    const c96 = dyingCost(release, topo(96));
    assert.equal(
      c96.bytesEach - c32.bytesEach,
      Math.round(fit.fixedBytes + 96 * fit.perCpuBytes) - Math.round(fit.fixedBytes + 32 * fit.perCpuBytes),
    );
    assert.ok(fit.perCpuBytes > 1000 && fit.fixedBytes > 5000, `${fit.series}: measured figures, not placeholders`);
    assert.deepEqual(c32.caveats, []);
  }
});

test("a kernel is costed with its own series, else the nearest measured one, with a caveat", () => {
  assert.equal(dyingCost("6.1.0-18-amd64", topo(4)).series, "6.1");
  assert.deepEqual(dyingCost("6.1.0-18-amd64", topo(4)).caveats, []);
  assert.equal(dyingCost("6.12.117+deb12-amd64", topo(4)).series, "6.12");
  const ubuntu = dyingCost("6.8.0-45-generic", topo(4));
  assert.equal(ubuntu.series, "6.12");
  assert.match(
    ubuntu.caveats.join(),
    new RegExp(`6\\.8 was not measured: the nearest measured series, ${ubuntu.series.replace(".", "\\.")}`),
  );
  assert.equal(dyingCost("3.10.0-1160.el7.x86_64", topo(4)).series, "6.1");
  assert.match(dyingCost("weird", topo(4)).caveats.join(), /could not be placed/);
});

test("an unknown CPU count is costed as one CPU and says it is a lower bound", () => {
  const c = dyingCost("6.12.0", topo(null));
  assert.equal(c.cpus, 1);
  assert.match(c.caveats.join(), /CPU count unknown.*lower bound/);
});

test("more NUMA nodes never cost less, and an unmeasured node part is a caveat", () => {
  for (const fit of DYING_COST_FITS) {
    const one = dyingCost(`${fit.series}.0`, topo(16, 1));
    const two = dyingCost(`${fit.series}.0`, topo(16, 2));
    assert.ok(two.bytesEach >= one.bytesEach);
    if (fit.perExtraNodeBytes === null) assert.match(two.caveats.join(), /per-node part was not measured/);
  }
});

test("docs/cost-model.md, the fits' source, states each fit's figures", () => {
  const doc = fs.readFileSync(fileURLToPath(new URL("../../docs/cost-model.md", import.meta.url)), "utf8");
  for (const fit of DYING_COST_FITS) {
    assert.match(fit.source, /docs\/cost-model\.md/);
    assert.ok(
      doc.includes(`| ${fit.series} | ${fit.fixedBytes} | ${fit.perCpuBytes} |`),
      `docs/cost-model.md has no fit row for ${fit.series}`,
    );
  }
});
