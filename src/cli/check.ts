import { Command, Option } from "commander";
import { Host } from "../host/host.js";
import { HostReadError, NoMemoryControllerError, ParseError } from "../host/errors.js";
import { runScan } from "../scan.js";
import type { ScanReport } from "../analyze/report.js";
import { clip, kuredVerdict, npdVerdict, unknownVerdict, type Verdict } from "../kube/verdict.js";
import { addScanOptions, scanOptions, type ScanFlags } from "./scan.js";
import type { Exit } from "./common.js";

export { NPD, MAX_LINE, clip } from "../kube/verdict.js";

interface CheckFlags extends ScanFlags {
  kured?: boolean;
  problemAt: "warning" | "critical";
}

export function register(program: Command, exit: Exit): void {
  addScanOptions(
    program
      .command("check")
      .description(
        "one-line verdict for node-problem-detector (exit 0 OK, 1 problem, 2 unknown) or kured (--kured: exit 0 = reboot)",
      ),
  )
    .option(
      "--kured",
      "exit 0 only when a reboot is the only way to recover the node (kured --reboot-sentinel-command)",
    )
    .addOption(
      new Option("--problem-at <level>", "lowest status that counts as a problem")
        .choices(["warning", "critical"])
        .default("warning"),
    )
    .action((f: CheckFlags) => {
      const { code, line } = check(f);
      process.stdout.write(clip(line) + "\n");
      exit(code);
    });
}

export function check(f: CheckFlags): Verdict {
  let report: ScanReport;
  try {
    report = runScan(new Host(f.hostRoot), scanOptions(f));
  } catch (err) {
    return unknownVerdict(unreadable(err));
  }
  return f.kured ? kuredVerdict(report) : npdVerdict(report, f.problemAt);
}

function unreadable(err: unknown): string {
  if (err instanceof NoMemoryControllerError) return "no memory cgroup controller on this host";
  if (err instanceof HostReadError || err instanceof ParseError) return err.message;
  return (err as Error)?.message ?? String(err);
}
