/**
 * The article's step 2 on the real kernel: `cgleak repro --mode fill` to the memcg ID cap, and the
 * rollback at once (at the cap every memcg mkdir on the host fails, this machine's own included).
 * Reports how many were made, the exact errno, and how long the cap was held.
 */
import { spawnSync } from "node:child_process";
import { needsRootMemcgV1, kernelMemcgTotal } from "../testing/kernel.js";
import { CLI } from "../testing/fixtures.js";

const skip = needsRootMemcgV1();
if (skip) {
  process.stdout.write(`skipped: ${skip}\n`);
} else {
  const before = kernelMemcgTotal();
  const r = spawnSync(
    process.execPath,
    [CLI, "repro", "--mode", "fill", "--i-understand-this-blocks-the-node", "--json"],
    { encoding: "utf8" },
  );
  const after = kernelMemcgTotal();
  if (r.status !== 0) {
    process.stdout.write(`fill failed (exit ${r.status}): ${r.stderr}\n`);
    process.exitCode = 1;
  } else {
    const f = (
      JSON.parse(r.stdout) as {
        result: {
          created: number;
          error?: { code: string; errno: number; text: string };
          fillSeconds: number;
          rollbackSeconds: number;
          leftover: string[];
        };
      }
    ).result;
    process.stdout.write(
      `fill to the cap: ${f.created} memcgs made in ${f.fillSeconds.toFixed(2)} s, mkdir failed with ${f.error ? `${f.error.code} (errno ${f.error.errno}, "${f.error.text}")` : "no error"}, rolled back in ${f.rollbackSeconds.toFixed(2)} s, ${f.leftover.length} left; /proc/cgroups memory ${before} before, ${after} after\n`,
    );
  }
}
