import type { DiagnosisInput } from "../diagnose.js";
import type { Finding } from "../finding.js";
import { formatCount } from "../format.js";

const WHAT: Record<string, string> = {
  "mkdir-enospc": "no space left on device",
  "mkdir-ebusy": "device or resource busy",
  "mkdir-enomem": "cannot allocate memory",
  "failed-create-pod-container": "kubelet FailedCreatePodContainer",
  "slub-memcg": "SLUB: Unable to allocate memory in a memcg cache",
};

/** The logs show the failure itself: pods have already failed to start on this node. */
export function logSignatureFinding(d: DiagnosisInput): Finding | null {
  const found = d.logs?.findings ?? [];
  if (found.length === 0) return null;
  const total = found.reduce((n, f) => n + f.count, 0);
  const first = found[0]!;
  const last = found.map((f) => f.last).filter((t): t is string => t !== undefined).sort().at(-1);
  const mkdir = found.some((f) => f.kind.startsWith("mkdir") || f.kind === "failed-create-pod-container");
  return {
    id: "log-signature",
    severity: mkdir ? "critical" : "warning",
    title: `The logs show ${formatCount(total)} memory-cgroup failures (${found.map((f) => `${formatCount(f.count)} × ${WHAT[f.kind] ?? f.kind}`).join(", ")})${last ? `, the last at ${last}` : ""}: ${mkdir ? "pods have already failed to start here" : "the kernel ran short of memory for per-memcg caches"}`,
    evidence: found.flatMap((f) => f.samples.slice(0, 1).map((s) => ({ from: `${s.source}:${s.lineNumber}`, value: s.line }))),
    fix: [`See the other findings for the cause; ${first.kind === "slub-memcg" ? "per-memcg slab caches point at the kmem-accounting leak" : "only freeing memcg IDs lets new pods start"}`],
    sources: ["cgleak logs (testdata/logs/corpus.jsonl)"],
  };
}
