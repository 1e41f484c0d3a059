import { existsSync } from "node:fs";
import type { Host } from "./host/host.js";
import { DYING_STATE_KEY, type DyingState } from "./store/dying-state.js";
import { scanNode, withAssessment, type ScanOptions } from "./scan.js";
import type { ScanReport } from "./analyze/report.js";
import { classifyRuntimes } from "./knowledge/runtime-facts.js";
import { collectRuntimes } from "./collect/runtimes.js";
import { scanLogs, type LogReport, type LogSource } from "./logs/scan-logs.js";
import { defaultLogSources } from "./logs/sources.js";
import type { ToolVersion } from "./parsers/runtime-version.js";
import { assess } from "./analyze/assess.js";
import type { NamedDying } from "./analyze/findings/dying-workloads.js";
import { readBootId } from "./collect/boot-id.js";

export interface ExplainOptions {
  scan: ScanOptions;
  /** --versions: these tools are not run. */
  overrides: ToolVersion[];
  /** Log sources to read; undefined: the host's usual ones. Empty: none. */
  logs?: LogSource[];
  since?: Date;
  probeTimeoutMs?: number;
  /** --exec-versions: run binaries whose version cannot be read, unprivileged. Off by default. */
  execVersions?: boolean;
  /** --kube: this node's status.nodeInfo (kubelet and container runtime versions). */
  nodeInfo?: ToolVersion[];
  /** The store `serve --trace` keeps its named dying set in (default: the store's default path). */
  db?: string;
}

export type ExplainReport = Omit<ScanReport, "explain"> & { explain: ScanReport["explain"] & { trace: string } };

/**
 * The full diagnosis: the scan, the runtimes' versions (read from their binaries, packages and the
 * node object; run only with --exec-versions), and the logs. Anything that cannot be read becomes part of a finding, never a crash.
 */
export async function runExplain(host: Host, opts: ExplainOptions): Promise<ExplainReport> {
  const { snapshot, model, boot } = scanNode(host, opts.scan);
  const runtimes = await collectRuntimes(host, {
    overrides: [
      ...opts.overrides,
      ...(opts.nodeInfo ?? []).filter((n) => !opts.overrides.some((o) => o.tool === n.tool)),
    ],
    timeoutMs: opts.probeTimeoutMs ?? 5000,
    exec: opts.execVersions === true,
  });
  const sources = opts.logs ?? defaultLogSources(host);
  const logs: LogReport | null =
    sources.length === 0 ? null : await scanLogs(sources, { host, ...(opts.since ? { since: opts.since } : {}) });
  const verdicts = classifyRuntimes(runtimes.versions);
  const diagnosed = withAssessment(snapshot, model, boot, verdicts, logs);
  const traced = await readNamedDying(host, opts.db);
  if (traced.dying === null) return { ...diagnosed, explain: { ...diagnosed.explain, trace: traced.note } };
  const again = assess({ snapshot, model, boot, runtimes: verdicts, logs, dying: traced.dying });
  return { ...again, explain: { ...diagnosed.explain, trace: traced.note } };
}

const NOT_TRACED = "not traced: run cgleak serve --trace";

/** The dying set `serve --trace` stored, when there is one for this boot; else why not. */
async function readNamedDying(host: Host, db: string | undefined): Promise<{ dying: NamedDying | null; note: string }> {
  const { openStore, DEFAULT_DB_PATH } = await import("./store/store.js");
  const path = db ?? DEFAULT_DB_PATH;
  if (!existsSync(path)) return { dying: null, note: `${NOT_TRACED} (no store at ${path})` };
  let state: DyingState | undefined;
  try {
    const store = openStore(path, { readonly: true });
    try {
      state = store.getState(DYING_STATE_KEY) as DyingState | undefined;
    } finally {
      store.close();
    }
  } catch (err) {
    return { dying: null, note: `${NOT_TRACED} (${(err as Error).message.split("\n")[0]})` };
  }
  if (state === undefined) return { dying: null, note: `${NOT_TRACED} (${path} holds no dying set)` };
  if (state.bootId !== readBootId(host))
    return {
      dying: null,
      note: `not traced since the last boot: the dying set in ${path} is from another boot (a reboot freed them); run cgleak serve --trace`,
    };
  const from = `${path} state "${DYING_STATE_KEY}" (cgleak serve --trace)`;
  return {
    dying: { entries: state.entries, pods: state.pods ?? {}, savedAt: state.savedAt, from },
    note: `${state.entries.length} dying memcgs named by cgleak serve --trace, saved ${new Date(state.savedAt).toISOString()} (${path})`,
  };
}
