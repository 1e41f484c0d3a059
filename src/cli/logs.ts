import type { Command } from "commander";
import { scanLogs } from "../logs/scan-logs.js";
import type { LogReport, LogSource } from "../logs/scan-logs.js";
import { parseSince } from "../logs/time.js";
import { MEMCG_ID_CAP } from "../analyze/ids.js";

interface LogsFlags {
  journal?: boolean;
  since?: string;
  json?: boolean;
  journalctl?: string;
}

/**
 * `cgleak logs [FILE...] [--journal] [--since 24h] [--json]`. Exit 0 whether or not a signature is
 * found, 1 when no source could be read, 2 on a usage error. With no FILE it reads the journal.
 */
export function register(program: Command): void {
  program
    .command("logs")
    .description(
      "find memory-cgroup leak failures (memcg mkdir ENOSPC/EBUSY/ENOMEM, FailedCreatePodContainer, SLUB memcg caches) in logs",
    )
    .argument("[file...]", "log files, plain or rotated .gz; - for stdin")
    .option("--journal", "read the systemd journal (journalctl -o short-iso); the default when no FILE is given")
    .option("--since <when>", "only lines newer than this: a duration (30m, 24h, 7d) or a date; journal default 24h")
    .option("--json", "print the LogReport as JSON")
    .option("--journalctl <path>", "journalctl binary to run")
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (files: string[], flags: LogsFlags) => {
      process.exitCode = await runLogs(files, flags);
    });
}

async function runLogs(files: string[], flags: LogsFlags): Promise<number> {
  const now = new Date();
  const useJournal = flags.journal === true || files.length === 0;
  const sinceText = flags.since ?? (files.length === 0 ? "24h" : undefined);
  const since = sinceText === undefined ? undefined : parseSince(sinceText, now);
  if (sinceText !== undefined && since === undefined) {
    process.stderr.write(
      `cgleak logs: --since expects a duration like 30m, 24h, 7d or a date, got ${JSON.stringify(sinceText)}\n`,
    );
    return 2;
  }
  const sources: LogSource[] = files.map((path) => ({ type: "file", path }));
  if (useJournal) sources.push({ type: "journal" });
  const opts: Parameters<typeof scanLogs>[1] = { now };
  if (since) opts.since = since;
  if (flags.journalctl) opts.journalctl = flags.journalctl;
  const report = await scanLogs(sources, opts);
  for (const s of report.sources) if (!s.ok) process.stderr.write(`cgleak logs: cannot read ${s.name}: ${s.error}\n`);
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.sources.some((s) => s.ok) ? 0 : 1;
}

const EXPLAIN: Record<string, string> = {
  "mkdir-enospc": `memcg mkdir failed with ENOSPC: the ${MEMCG_ID_CAP} memory-cgroup IDs are used up (leaked memcgs on older kernels)`,
  "mkdir-ebusy": `memcg mkdir failed with EBUSY: the ${MEMCG_ID_CAP} memory-cgroup IDs are used up (xarray kernels, 6.x)`,
  "mkdir-enomem": "memcg mkdir failed with ENOMEM: the kernel could not allocate a memory cgroup",
  "failed-create-pod-container": "kubelet could not create pod memory cgroups (FailedCreatePodContainer)",
  "slub-memcg": "kernel slab allocation failed in a per-memcg cache (kmem accounting on; runc#1725)",
  "slub-possible": "possible: kernel slab allocation failed, but no per-memcg cache line follows (weak evidence alone)",
};

/** The human summary: one paragraph per finding, with counts, time span, components and samples. */
export function formatReport(r: LogReport): string {
  const read = r.sources.filter((s) => s.ok).map((s) => `${s.name} (${s.lines} lines)`);
  const out = [`Read ${read.length ? read.join(", ") : "nothing"}${r.since ? ` since ${r.since}` : ""}.`];
  if (r.findings.length === 0) out.push("No memory-cgroup leak signatures found.");
  for (const f of [...r.findings, ...(r.possible ?? [])]) {
    const span = f.first ? ` from ${f.first} to ${f.last}` : "";
    const who = Object.entries(f.components)
      .map(([c, n]) => `${c} ${n}`)
      .join(", ");
    out.push(
      `${f.kind}: ${f.count} line${f.count === 1 ? "" : "s"}${span} (${who}); ${f.paths} distinct cgroup${f.paths === 1 ? "" : "s"}`,
    );
    out.push(`  ${EXPLAIN[f.kind] ?? ""}`);
    for (const s of f.samples) out.push(`  ${s.source}:${s.lineNumber}: ${s.line.split("\n").join(" | ")}`);
  }
  return `${out.join("\n")}\n`;
}
