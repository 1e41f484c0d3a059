import { Command, InvalidArgumentError, Option } from "commander";
import { classifyRuntimes, parseVersionOverrides } from "../knowledge/runtime-facts.js";
import type { ToolVersion } from "../parsers/runtime-version.js";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS, type ScanOptions } from "../scan.js";
import { renderScanText } from "../sinks/scan-text.js";
import { countArg, durationArg, ratioArg } from "./options.js";
import { hostRootOption, type Exit } from "./common.js";
import { writeStdout } from "./stdout.js";

/** The options scan, explain and check share. */
export function addScanOptions(cmd: Command): Command {
  return cmd
    .addOption(hostRootOption())
    .option(
      "--warn <ratio>",
      "share of the 65,535 ID cap that makes the status WARNING",
      ratioArg,
      DEFAULT_THRESHOLDS.warn,
    )
    .option("--crit <ratio>", "share of the ID cap that makes the status CRITICAL", ratioArg, DEFAULT_THRESHOLDS.crit)
    .option(
      "--dying-warn <n>",
      "dying memcgs that make the status WARNING even when they hold no ID",
      countArg,
      DEFAULT_THRESHOLDS.dyingWarn,
    )
    .option(
      "--deep",
      "read per-memcg files (empty cgroups, kmem) however large the tree; by default only below 2,000 memcgs",
    )
    .addOption(
      new Option("--empty-min-age <duration>", "an empty cgroup counts as leaked when older than this")
        .argParser(durationArg)
        .default(600_000, "10m"),
    )
    .option(
      "--versions <list>",
      "runtime versions instead of reading them, as printed or pasted, e.g. runc=1.0.0-rc92,kubelet=v1.18.3, runc=dc9208a3303f (a commit), containerd=containerd://1.4.3",
      versionsArg,
    );
}

function versionsArg(v: string): ToolVersion[] {
  try {
    return parseVersionOverrides(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export interface ScanFlags {
  hostRoot: string;
  warn: number;
  crit: number;
  dyingWarn: number;
  deep?: boolean;
  emptyMinAge: number;
  versions?: ToolVersion[];
}

export function scanOptions(f: ScanFlags): ScanOptions {
  return {
    thresholds: { warn: f.warn, crit: f.crit, dyingWarn: f.dyingWarn },
    deep: f.deep ? true : "auto",
    emptyMinAgeMs: f.emptyMinAge,
    runtimes: f.versions ? classifyRuntimes(f.versions) : null,
  };
}

export function register(program: Command, exit: Exit): void {
  addScanOptions(
    program
      .command("scan")
      .description("how many memory cgroups this node holds, how many are dying, how close it is to the ID cap"),
  )
    .option("--json", "print the report as JSON (schema: docs/scan-json.md)")
    .addOption(
      new Option("--fail-on <level>", "exit 3 when the status is at least this level").choices(["warning", "critical"]),
    )
    .action((f: ScanFlags & { json?: boolean; failOn?: "warning" | "critical" }) => {
      const report = runScan(new Host(f.hostRoot), scanOptions(f));
      writeStdout(f.json ? JSON.stringify(report, null, 2) + "\n" : renderScanText(report));
      const rank = { ok: 0, warning: 1, critical: 2 } as const;
      if (f.failOn && rank[report.status.level] >= rank[f.failOn]) exit(3);
    });
}
