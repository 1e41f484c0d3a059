/**
 * Guest side of bench/cost-lab.ts: the dying-memcg cost experiment on a lab kernel (cgroup v2),
 * printed as one JSON document.   node dist/bench/_cost-guest.js N [N2 ...]
 */
import { Host } from "../host/host.js";
import { collectNode } from "../collect/node.js";
import { measureDyingCost } from "./_dying-cost.js";

const counts = process.argv.slice(2).map(Number);
const host = new Host("/");
const node = collectNode(host);
if (node.memory === null) throw new Error("no memory controller in the guest");
const run = await measureDyingCost(host, node.memory, counts, process.env["LAB_EXT4"] ?? "/tmp", 4000);
process.stdout.write(JSON.stringify(run) + "\n");
