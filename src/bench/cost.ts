/**
 * What a dying memcg costs on the real kernel (cgroup v1, root): 10,000 then 50,000 dying memcgs,
 * each pinned by one page of a private tmpfs (shmem: other people's drop_caches on this shared
 * machine cannot free them), in a scratch tree removed afterwards even on failure.
 * Prints the /proc/meminfo deltas per dying memcg and the time of one read of the root
 * memory.stat at 0, 10,000 and 50,000 dying (docs/cost-model.md).
 *   npm run bench -- cost [--counts 10000,50000]
 */
import { Host } from "../host/host.js";
import { collectNode } from "../collect/node.js";
import { needsRootMemcgV1 } from "../testing/kernel.js";
import { measureDyingCost, renderRun } from "./_dying-cost.js";

const arg = process.argv.indexOf("--counts");
const counts = arg > 0 ? (process.argv[arg + 1] ?? "").split(",").map(Number) : [10_000, 50_000];

const skip = needsRootMemcgV1();
if (skip) {
  process.stdout.write(`skipped: ${skip}\n`);
} else {
  const host = new Host("/");
  const node = collectNode(host);
  if (node.memory === null) throw new Error("no memory controller");
  const run = await measureDyingCost(host, node.memory, counts, "private-tmpfs");
  process.stdout.write(renderRun(run));
  process.stdout.write(JSON.stringify(run) + "\n");
}
