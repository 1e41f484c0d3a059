import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { needsRootMemcgV1 } from "../testing/kernel.js";
import { makeDying, makeLab, readStat, removeLab } from "../testing/reap-setup.js";
import { startServe, getText, metricValue, waitFor } from "../testing/serve.js";

const skip = needsRootMemcgV1();

function pinned(dir: string): number {
  const st = readStat(dir);
  const kids = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => readStat(`${dir}/${e.name}`).get("total_cache") ?? 0);
  return (st.get("total_cache") ?? 0) - (st.get("cache") ?? 0) - kids.reduce((a, b) => a + b, 0);
}

test(
  "serve --reap frees the dying memcgs below --reap-under on its own timer and counts it in /metrics",
  { skip },
  async () => {
    const lab = makeLab("servereap");
    const policy = `${lab.tmp}/policy.json`;
    fs.writeFileSync(
      policy,
      JSON.stringify({
        targetDying: 0,
        targetPinned: 0,
        interval: "1s",
        maxInterval: "2s",
        psiIo: 100,
        psiMemory: 100,
      }),
    );
    try {
      makeDying(lab, lab.pods, `${lab.tmp}/pc`, 300, 65536);
      await new Promise((r) => setTimeout(r, 2100));
      assert.ok(pinned(lab.pods) >= 300 * 65536 * 0.9);
      const s = await startServe(
        [
          "--reap",
          "--reap-policy",
          policy,
          "--reap-under",
          lab.rel,
          "--reap-state-file",
          `${lab.tmp}/state.json`,
          "--db",
          ":memory:",
          "--interval",
          "500ms",
        ],
        15_000,
      );
      try {
        // PSI off: other tests' I/O on this shared machine must not veto (the veto has its own test)
        // one pass or a few (a pass stops at a step that frees nothing): the counter adds them up
        const freed = await waitFor("cgleak_reap_pinned_freed_bytes_total at 90 % of the pins", 60_000, async () => {
          const v = metricValue((await getText(`${s.url}/metrics`)).text, "cgleak_reap_pinned_freed_bytes_total");
          return v !== undefined && v >= 300 * 65536 * 0.9 ? v : undefined;
        }).catch((err: Error) => assert.fail(`${err.message}; serve said: ${s.stderr()}`));
        assert.ok(freed > 0);
        const text = (await getText(`${s.url}/metrics`)).text;
        assert.ok((metricValue(text, 'cgleak_reap_passes_total{verdict="acted"}') ?? 0) >= 1, text);
        assert.notEqual(metricValue(text, "cgleak_reap_live_cache_evicted_bytes_total"), undefined);
        assert.ok(
          pinned(lab.pods) <= 300 * 65536 * 0.05,
          `${pinned(lab.pods)} bytes still pinned; serve said: ${s.stderr()}`,
        );
        assert.match(s.stderr(), /reap: acted/);
      } finally {
        const { code } = await s.stop();
        assert.equal(code, 0);
      }
      assert.equal(fs.readFileSync(`${lab.pods}/memory.limit_in_bytes`, "utf8").trim(), "9223372036854771712");
    } finally {
      assert.deepEqual(await removeLab(lab), []);
    }
  },
);
