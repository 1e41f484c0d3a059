import type { Host } from "./host/host.js";
import { runScan, withDiagnosis, type ScanOptions } from "./scan.js";
import type { ScanReport } from "./analyze/report.js";
import { kernelModel } from "./knowledge/kernel-model.js";
import { classifyRuntimes } from "./knowledge/runtime-facts.js";
import { collectRuntimes } from "./collect/runtimes.js";
import { scanLogs, type LogReport, type LogSource } from "./logs/scan-logs.js";
import { defaultLogSources } from "./logs/sources.js";
import type { ToolVersion } from "./parsers/runtime-version.js";
import { parseCmdline } from "./parsers/cmdline.js";

export interface ExplainOptions {
  scan: ScanOptions;
  /** --versions: these tools are not run. */
  overrides: ToolVersion[];
  /** Log sources to read; undefined: the host's usual ones. Empty: none. */
  logs?: LogSource[];
  since?: Date;
  probeTimeoutMs?: number;
}

/**
 * The full diagnosis: the scan, the runtimes' versions (their version commands, each bounded by a
 * timeout), and the logs. Anything that cannot be read becomes part of a finding, never a crash.
 */
export async function runExplain(host: Host, opts: ExplainOptions): Promise<ScanReport> {
  const report = runScan(host, opts.scan);
  const runtimes = await collectRuntimes(host, { overrides: opts.overrides, timeoutMs: opts.probeTimeoutMs ?? 2000 });
  const sources = opts.logs ?? defaultLogSources(host);
  const logs: LogReport | null = sources.length === 0 ? null : await scanLogs(sources, { host, ...(opts.since ? { since: opts.since } : {}) });
  const cmdline = host.readTextIfExists("/proc/cmdline");
  const model = kernelModel(report.kernel.release, cmdline === undefined ? undefined : parseCmdline(cmdline, "/proc/cmdline"));
  const { findings: _f, explain: _e, ...base } = report;
  return withDiagnosis(base, model, classifyRuntimes(runtimes.versions), logs);
}
