import { Option, type Command } from "commander";
import { Host } from "../host/host.js";
import { formatBytes, formatCount } from "../analyze/format.js";
import { hostRootOption, type Exit } from "./common.js";
import { countArg } from "./options.js";

interface Flags {
  hostRoot: string;
  mode: "kmem-fork" | "page-cache" | "shmem" | "fill" | "swap-ids";
  n?: number;
  actions?: string;
  bytes: number;
  limit?: number;
  iUnderstandThisBlocksTheNode?: boolean;
  yes?: boolean;
  json?: boolean;
}

export function register(program: Command, exit: Exit): void {
  program
    .command("repro")
    .description(
      "prove on this node, in a scratch memcg tree, whether its kernel leaks memory cgroups and what frees them",
    )
    .addOption(
      new Option("--mode <mode>", "what to reproduce")
        .choices(["kmem-fork", "page-cache", "shmem", "fill", "swap-ids"])
        .makeOptionMandatory(),
    )
    .option(
      "-n <count>",
      "memcgs per experiment (default 100 for kmem-fork, 50 per release action, 20 for swap-ids)",
      countArg,
    )
    .option(
      "--actions <list>",
      "page-cache/shmem: release actions to try (delete-files,drop-page-cache,drop-caches,force-empty-before-rmdir,force-empty-parent,memory-reclaim)",
    )
    .option("--bytes <n>", "page-cache/shmem/swap-ids: bytes each memcg writes", countArg, 65536)
    .option("--limit <n>", "fill: stop after this many memcgs", countArg)
    .option(
      "--i-understand-this-blocks-the-node",
      "fill, swap-ids: allow filling the memcg ID space (every memcg mkdir on the host fails until it is rolled back)",
    )
    .option("--yes", "run even though a container runtime (kubelet, containerd, dockerd, cri-o) is running")
    .option("--json", "print the report as JSON")
    .addOption(hostRootOption())
    .action(async (f: Flags) => {
      const { runRepro } = await import("../actions/run-repro.js");
      const r = await runRepro(new Host(f.hostRoot), {
        mode: f.mode,
        bytes: f.bytes,
        ...(f.n === undefined ? {} : { n: f.n }),
        ...(f.limit === undefined ? {} : { limit: f.limit }),
        ...(f.actions === undefined ? {} : { actions: f.actions.split(",").map((a) => a.trim()) }),
        blockNode: f.iUnderstandThisBlocksTheNode === true,
        yes: f.yes === true,
        say: (line) => process.stderr.write(line + "\n"),
      });
      if ("refused" in r) {
        process.stderr.write(`cgleak repro: ${r.refused}\n`);
        exit(2);
        return;
      }
      process.stdout.write(f.json ? JSON.stringify(r, null, 2) + "\n" : renderRepro(r));
      if (r.cleanupProblems.length > 0) exit(1);
    });
}

type Report = import("../actions/run-repro.js").ReproReport;

export function renderRepro(r: Report): string {
  const out: string[] = [];
  const x = r.result;
  if (x.mode === "kmem-fork") {
    out.push(x.sentence + ".", ...x.evidence.map((e) => `  ${e}`));
  } else if (x.mode === "swap-ids") {
    out.push(x.sentence + ".");
    out.push(
      `  ${x.n} memcgs wrote ${formatBytes(x.bytesPerMemcg)} each to a private tmpfs; pushed to swap with ${x.reclaimedWith}; swap charged ${x.swapChargedBytes === null ? "n/a" : formatBytes(x.swapChargedBytes)}`,
    );
    out.push(
      `  dying after rmdir: ${x.dyingAfterRmdir}; scan's bound on swap-pinned dying memcgs node-wide: ${x.boundPinnedHigh ?? "n/a (v1 or swap accounting off)"}`,
    );
    if (x.fill !== null) {
      const f = x.fill;
      out.push(
        `  fill: ${formatCount(f.created)} mkdirs succeeded of ${formatCount(f.headroomExpectedWithoutPins)} free without pins (${formatCount(f.liveBefore)} live before): ${formatCount(f.pinnedIds)} IDs pinned`,
      );
      if (f.error)
        out.push(
          `  mkdir ${f.error.path} failed: errno ${f.error.errno} ${f.error.code} (${f.error.text})${f.idExhausted ? " - memcg IDs exhausted" : ""}; rolled back ${formatCount(f.removed)} in ${f.rollbackSeconds.toFixed(2)} s`,
        );
    }
    out.push(
      `  after deleting the tmpfs files: swap charged ${x.swapAfterDeleteBytes === null ? "n/a" : formatBytes(x.swapAfterDeleteBytes)}, dying ${x.dyingAfterDelete} (the rest are freed asynchronously)`,
    );
  } else if (x.mode === "fill") {
    out.push(`created ${formatCount(x.created)} memcgs in ${x.fillSeconds.toFixed(2)} s under ${r.scratch}`);
    if (x.error)
      out.push(
        `mkdir ${x.error.path} failed: errno ${x.error.errno} ${x.error.code} (${x.error.text})${x.idExhausted ? " - memcg IDs exhausted" : ""}`,
      );
    else out.push(`stopped at --limit ${formatCount(x.created)} before mkdir failed`);
    out.push(
      `removed ${formatCount(x.removed)} at once in ${x.rollbackSeconds.toFixed(2)} s${x.leftover.length > 0 ? `; ${x.leftover.length} could not be removed: ${x.leftover.slice(0, 3).join(", ")}` : ""}`,
    );
  } else {
    out.push(
      `${x.mode}: each of ${x.n} memcgs wrote ${formatBytes(x.bytesPerMemcg)} to ${x.filesOn} from inside, then was removed`,
    );
    for (const o of x.outcomes) {
      if (!o.applicable) {
        out.push(`  ${o.action.padEnd(25)} ${o.note}`);
        continue;
      }
      const pins = `pinned ${o.pinnedBefore === null ? "?" : formatBytes(o.pinnedBefore)} -> ${o.pinnedAfter === null ? "?" : formatBytes(o.pinnedAfter)}`;
      const count =
        o.action === "force-empty-before-rmdir"
          ? `${o.leaked} of ${x.n} leaked`
          : `freed ${o.freed} of ${o.leaked} leaked`;
      out.push(
        `  ${o.action.padEnd(25)} ${o.effect}: ${count}; ${pins}; ${o.seconds.toFixed(2)} s${o.note ? ` (${o.note})` : ""}`,
      );
    }
  }
  out.push(
    r.cleanupProblems.length === 0
      ? `cleaned up: ${r.scratch} and its files are gone`
      : `cleanup problems: ${r.cleanupProblems.join("; ")}`,
  );
  return out.join("\n") + "\n";
}
