import type { DiagnosisInput } from "../diagnose.js";
import type { Evidence, Finding } from "../finding.js";
import { formatCount } from "../format.js";

const KERNEL_FIX =
  "boot with cgroup.memory=nokmem (honoured by RHEL 7.7's 3.10.0-1062 and later), or move to kernel 3.10.0-1075.el7 or later (BZ 1507149)";

/**
 * RHEL 7's 3.10 never frees a memcg in which kmem accounting was switched on and a process forked
 * (the article). Who switches it on: runc rc3..rc93 and kubelet 1.8..1.21.1, unless built with
 * nokmem, which no version string shows, so the live pod memcgs' kmem usage is the confirmation.
 */
export function kmemForkFinding(d: DiagnosisInput): Finding | null {
  const leak = d.model.kmemForkLeak;
  if (leak.value !== true) return null;
  const { report: r } = d;
  const kmem = r.kmem.checked ? r.kmem : null;
  const switching = (d.runtimes ?? []).filter((v) => v.enablesKmem === true);
  const confirmed = kmem !== null && (kmem.podOn > 0 || (kmem.podOf === 0 && kmem.on > 0));
  const evidence: Evidence[] = [{ from: "/proc/sys/kernel/osrelease", value: `${r.kernel.release}: ${leak.reason}` }];
  if (kmem)
    evidence.push({
      from: "memory.kmem.usage_in_bytes",
      value: `kmem accounting on in ${formatCount(kmem.podOn)} of ${formatCount(kmem.podOf)} pod memcgs, ${formatCount(kmem.on)} of ${formatCount(kmem.of)} in all`,
    });
  for (const v of d.runtimes ?? []) evidence.push({ from: v.from, value: v.reason });
  if (!confirmed && switching.length === 0) {
    return {
      id: "kmem-fork-leak",
      severity: "info",
      title: `Kernel ${r.kernel.release} never frees memcgs with kmem accounting on in which a process forked, but nothing here switches kmem accounting on${kmem ? "" : " (not checked)"}`,
      evidence,
      fix: ["Keep runc at 1.0.0-rc94 or later and kubelet at 1.21.2 or later, or boot with cgroup.memory=nokmem"],
      sources: [leak.source],
    };
  }
  const who =
    switching.length > 0 ? switching.map((v) => `${v.tool} ${v.version}`).join(" and ") : "Something (runc or kubelet)";
  const on = kmem ? ` (on in ${formatCount(kmem.podOn)} of ${formatCount(kmem.podOf)} pod memcgs)` : "";
  const fix = [
    ...switching.map((v) => v.fix).filter((f): f is string => f !== undefined),
    ...(switching.length === 0
      ? [
          'Upgrade runc to 1.0.0-rc94 or later (or build it with BUILDTAGS="seccomp nokmem") and kubelet to 1.21.2 or later',
        ]
      : []),
    `Alternatively, ${KERNEL_FIX}`,
    ...(r.memcg.dying > 0
      ? [
          `The ${formatCount(r.memcg.dying)} memcgs already leaked are freed only by a reboot: drain the node first (kubectl drain), or let kured reboot it (cgleak check --kured)`,
        ]
      : []),
  ];
  const leaked =
    r.memcg.dying > 0
      ? `; the ${formatCount(r.memcg.dying)} memcgs already leaked are freed only by a reboot: drain the node first`
      : "";
  return {
    id: "kmem-fork-leak",
    severity: r.status.level === "critical" ? "critical" : "warning",
    title: `${who} switch${switching.length > 1 ? "" : "es"} kmem accounting on${on} on kernel ${r.kernel.release}, which never frees such memcgs: ${fix
      .slice(0, switching.filter((v) => v.fix !== undefined).length || 1)
      .map(lowerFirst)
      .join("; ")}; or ${KERNEL_FIX}${leaked}`,
    evidence,
    fix,
    sources: [leak.source, ...switching.map((v) => v.source)],
  };
}

function lowerFirst(s: string): string {
  return s[0]!.toLowerCase() + s.slice(1);
}
