import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fixtureRoot, runCli, TESTDATA } from "../testing/fixtures.js";
import { assertGolden, stableMetrics, stableScanJson } from "../testing/golden.js";
import { startServe, getText, waitFor } from "../testing/serve.js";

/**
 * What each fixture host prints, as files under testdata/golden/ (node_exporter's end-to-end test):
 * `scan --json` and `/metrics` of a serve on that host. A change in any figure, label or series name
 * shows as a diff in review; CGLEAK_UPDATE_GOLDEN=1 rewrites them.
 */
/** A fresh clone's files are minutes old: count empty cgroups whatever their age, so the figures never depend on when it was cloned. */
const AGELESS = ["--empty-min-age", "0s"];

const HOSTS = fs
  .readdirSync(path.join(TESTDATA, "hosts"), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

test("golden: every fixture host has a golden scan", () => {
  assert.ok(HOSTS.length >= 10, `only ${HOSTS.length} fixture hosts`);
});

for (const host of HOSTS) {
  test(`golden: scan --json on ${host}`, () => {
    const root = fixtureRoot(host);
    const r = runCli(["scan", "--json", "--host-root", root, ...AGELESS]);
    const text =
      r.status === 0 ? stableScanJson(r.stdout, root) : `exit ${r.status}\n${r.stderr.split(root).join("<host-root>")}`;
    assertGolden(`scan/${host}.${r.status === 0 ? "json" : "txt"}`, text);
  });

  test(`golden: /metrics of serve on ${host}`, async (t) => {
    const root = fixtureRoot(host);
    if (runCli(["scan", "--json", "--host-root", root]).status !== 0) {
      t.diagnostic(`${host}: scan refuses this host, so serve has no metrics to compare`);
      return;
    }
    const served = await startServe([
      "--host-root",
      root,
      "--db",
      ":memory:",
      "--interval",
      "300ms",
      "--walk-interval",
      "1h",
      ...AGELESS,
    ]);
    try {
      const text = await waitFor("a walk and a sample", 20_000, async () => {
        const m = await getText(`${served.url}/metrics`);
        return /^cgleak_walks_total [1-9]/m.test(m.text) && /^cgleak_last_sample_timestamp_seconds /m.test(m.text)
          ? m.text
          : undefined;
      });
      assertGolden(`metrics/${host}.prom`, stableMetrics(text));
    } finally {
      await served.stop();
    }
  });
}
