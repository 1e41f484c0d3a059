import type { Finding } from "../analyze/finding.js";

/** The diagnosis for a person: each finding's sentence, its evidence and its fix. */
export function renderFindings(findings: Finding[], verbose: boolean): string {
  if (findings.length === 0) return "No finding: nothing here points at a memory-cgroup leak.\n";
  const out: string[] = [];
  findings.forEach((f, i) => {
    out.push(`${i + 1}. [${f.severity.toUpperCase()}] ${f.title}`);
    if (verbose) {
      for (const e of f.evidence) out.push(`   evidence: ${e.value} (${e.from})`);
      f.fix.forEach((step, n) => out.push(`   fix ${n + 1}: ${step}`));
      out.push(`   sources: ${f.sources.join("; ")}`);
    }
  });
  return out.join("\n") + "\n";
}
