import type { DiagnosisInput } from "../diagnose.js";
import type { Finding } from "../finding.js";
import { formatCount } from "../format.js";
import type { LogFinding } from "../../logs/scan-logs.js";

const WHAT: Record<string, string> = {
  "mkdir-enospc": "no space left on device",
  "mkdir-ebusy": "device or resource busy",
  "mkdir-enomem": "cannot allocate memory",
  "failed-create-pod-container": "kubelet FailedCreatePodContainer",
  "slub-memcg": "SLUB: Unable to allocate memory in a memcg cache",
  "slub-possible": "SLUB: Unable to allocate memory, cache not named",
};

/**
 * The logs show the failure itself (critical: pods have already failed to start), a per-memcg
 * slab cache running dry (warning), or only a SLUB line that names no cache: a possible sign,
 * reported as such because slab allocation fails for other reasons too.
 */
export function logSignatureFinding(d: DiagnosisInput): Finding | null {
  const strong = d.logs?.findings ?? [];
  const weak = d.logs?.possible ?? [];
  const found = [...strong, ...weak];
  if (strong.length === 0) return weak.length === 0 ? null : possibleFinding(weak);
  const total = strong.reduce((n, f) => n + f.count, 0);
  const first = strong[0]!;
  const last = lastTime(strong);
  const mkdir = strong.some((f) => f.kind.startsWith("mkdir") || f.kind === "failed-create-pod-container");
  // Critical only while the numbers agree: after a reboot or a release, old failures are history.
  const now = d.report.status.level !== "ok";
  const fix = now
    ? [d.report.assessment.remedy.sentence]
    : [
        "The numbers are below the warning marks now: the failures are older than the last reboot or release (see their times); watch the trend with cgleak serve",
      ];
  if (first.kind === "slub-memcg")
    fix.push(
      "Per-memcg slab caches failing point at kmem accounting on an old kernel: keep kmem accounting off (runc 1.0.0-rc94+, kubelet 1.21.2+, or cgroup.memory=nokmem)",
    );
  return {
    id: "log-signature",
    severity: mkdir && now ? "critical" : "warning",
    title: `The logs show ${formatCount(total)} memory-cgroup failures (${list(strong)})${last ? `, the last at ${last}` : ""}: ${mkdir ? "pods have already failed to start here" : "the kernel ran short of memory for per-memcg caches"}`,
    evidence: evidence(found),
    fix,
    sources: ["cgleak logs (testdata/logs/corpus.jsonl)"],
  };
}

function possibleFinding(found: LogFinding[]): Finding {
  const total = found.reduce((n, f) => n + f.count, 0);
  const last = lastTime(found);
  return {
    id: "log-signature",
    severity: "info",
    title: `Possible: the kernel logged ${formatCount(total)} × "SLUB: Unable to allocate memory" without naming a per-memcg cache${last ? `, the last at ${last}` : ""}; alone this does not show a memory-cgroup leak`,
    evidence: evidence(found),
    fix: [
      "Look at the `cache:` line the kernel prints after it (dmesg): a name like kmalloc-64(1793:<id>) is a per-memcg cache",
    ],
    sources: ["cgleak logs (testdata/logs/corpus.jsonl)"],
  };
}

function list(found: LogFinding[]): string {
  return found.map((f) => `${formatCount(f.count)} × ${WHAT[f.kind] ?? f.kind}`).join(", ");
}

function lastTime(found: LogFinding[]): string | undefined {
  return found
    .map((f) => f.last)
    .filter((t): t is string => t !== undefined)
    .sort()
    .at(-1);
}

function evidence(found: LogFinding[]): Finding["evidence"] {
  return found.flatMap((f) =>
    f.samples.slice(0, 1).map((s) => ({ from: `${s.source}:${s.lineNumber}`, value: s.line })),
  );
}
