import { Command, Option } from "commander";
import { Host } from "../host/host.js";
import { HostReadError, NoMemoryControllerError, ParseError } from "../host/errors.js";
import { runScan } from "../scan.js";
import type { ScanReport } from "../analyze/report.js";
import { formatBytes, formatCount, formatPercent } from "../analyze/format.js";
import { rebootVerdict } from "../kube/reboot.js";
import { addScanOptions, scanOptions, type ScanFlags } from "./scan.js";
import type { Exit } from "./common.js";

/** node-problem-detector's custom-plugin protocol (pkg/custompluginmonitor/types): 0 OK, 1 NonOK, 2 Unknown. */
export const NPD = { ok: 0, problem: 1, unknown: 2 } as const;
/** NPD's sample configs cut stdout to max_output_length 80; we never rely on that cut. */
export const MAX_LINE = 80;

interface CheckFlags extends ScanFlags { kured?: boolean; problemAt: "warning" | "critical" }

export function register(program: Command, exit: Exit): void {
  addScanOptions(program.command("check").description("one-line verdict for node-problem-detector (exit 0 OK, 1 problem, 2 unknown) or kured (--kured: exit 0 = reboot)"))
    .option("--kured", "exit 0 only when a reboot is the only way to recover the node (kured --reboot-sentinel-command)")
    .addOption(new Option("--problem-at <level>", "lowest status that counts as a problem").choices(["warning", "critical"]).default("warning"))
    .action((f: CheckFlags) => {
      const { code, line } = check(f);
      process.stdout.write(clip(line) + "\n");
      exit(code);
    });
}

export function check(f: CheckFlags): { code: number; line: string } {
  let report: ScanReport;
  try {
    report = runScan(new Host(f.hostRoot), scanOptions(f));
  } catch (err) {
    // kured treats any code but 0 and 1 as "no reboot, log a warning": 2 suits both protocols.
    return { code: NPD.unknown, line: `UNKNOWN: ${unreadable(err)}` };
  }
  if (f.kured) {
    const v = rebootVerdict(report);
    return { code: v.needed ? 0 : 1, line: `${v.needed ? "REBOOT" : "NO REBOOT"}: ${v.why}` };
  }
  const problem = report.status.level === "critical" || (report.status.level === "warning" && f.problemAt === "warning");
  return { code: problem ? NPD.problem : NPD.ok, line: summary(report) };
}

function summary(r: ScanReport): string {
  const head = `${r.status.level.toUpperCase()}: memcg IDs ${formatCount(r.ids.usedHigh)}/${formatCount(r.ids.cap)} (${formatPercent(r.ids.usedRatio)}), ${formatCount(r.memcg.dying)} dying`;
  if (r.ids.dyingHoldIds === true && r.memcg.dying > 0) return `${head} hold IDs${rebootVerdict(r).needed ? ", reboot needed" : ""}`;
  if (r.dying.pinnedBytes) return `${head}, pin ${formatBytes(r.dying.pinnedBytes)}`;
  return head;
}

function unreadable(err: unknown): string {
  if (err instanceof NoMemoryControllerError) return "no memory cgroup controller on this host";
  if (err instanceof HostReadError || err instanceof ParseError) return err.message;
  return (err as Error)?.message ?? String(err);
}

/** At most MAX_LINE bytes on one line (NPD counts bytes); ASCII "..." marks a cut. */
export function clip(line: string): string {
  const one = line.replace(/\s+/g, " ").trim();
  if (Buffer.byteLength(one) <= MAX_LINE) return one;
  let s = one;
  while (Buffer.byteLength(s) > MAX_LINE - 3) s = s.slice(0, -1);
  return s + "...";
}
