/** One conclusion of the diagnosis, with what it rests on and what to do. */
export interface Finding {
  /** Stable identifier, used as the `finding` label of the metrics. */
  id: FindingId;
  severity: Severity;
  /** The sentence a person reads first. */
  title: string;
  evidence: Evidence[];
  /** Concrete steps, in the order to take them. */
  fix: string[];
  /** Where the rules behind it come from. */
  sources: string[];
}

export type FindingId =
  | "kmem-fork-leak"
  | "dying-hold-ids"
  | "measured-vs-model"
  | "kernel-placement"
  | "boot-line"
  | "id-cap"
  | "dying-pinned"
  | "dying-workloads"
  | "dying-controllers"
  | "empty-cgroups"
  | "kmem-limit-gone"
  | "log-signature"
  | "unknown-kernel"
  | "runtime-unknown"
  | "swap-ids";

export type Severity = "critical" | "warning" | "unknown" | "info";

export interface Evidence {
  /** The file read, the command run, or the log line's source. */
  from: string;
  value: string;
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, unknown: 2, info: 3 };

/** Most severe first; equal severities keep the order the rules found them in. */
export function rankFindings(fs: Finding[]): Finding[] {
  return fs
    .map((f, i) => [f, i] as const)
    .sort((a, b) => RANK[a[0].severity] - RANK[b[0].severity] || a[1] - b[1])
    .map(([f]) => f);
}
