import type { BootParams } from "../parsers/cmdline.js";
import { KERNEL_FACTS, type Errno, type FactName, type FactRow, type KernelFacts, type When } from "./kernel-facts.js";
import { parseRelease, type ParsedRelease } from "./kernel-release.js";

export type { ParsedRelease } from "./kernel-release.js";

/** One answer of the model: the value, where the rule comes from, and why it applies here. */
export interface Rule<T> {
  value: T | "unknown";
  source: string;
  reason: string;
}

export interface KernelModel {
  release: ParsedRelease;
  dyingHoldIds: Rule<boolean>;
  swapCanPinIds: Rule<boolean>;
  kmemForkLeak: Rule<boolean>;
  slabPins: Rule<boolean>;
  pageCachePins: Rule<boolean>;
  kmemLimitBroken: Rule<boolean>;
  /** memory.kmem.limit_in_bytes missing (6.1.54): runc/kubelet on v1 fail outright. */
  kmemLimitFileGone: Rule<boolean>;
  /** ENOMEM between 4.8 and 5.7 (11d6761218d1), EBUSY on xarray kernels, ENOSPC otherwise. */
  exhaustionErrno: Rule<Errno>;
}

const FACTS: FactName[] = ["dyingHoldIds", "swapCanPinIds", "kmemForkLeak", "slabPins", "pageCachePins", "kmemLimitBroken", "kmemLimitFileGone", "exhaustionErrno"];

/** Answers the kernel questions for a release string (and boot parameters). Never throws. */
export function kernelModel(release: string, boot?: BootParams): KernelModel {
  const r = parseRelease(release);
  const out: Partial<Record<FactName, Rule<unknown>>> = {};
  for (const f of FACTS) out[f] = decide(f, r, boot);
  return { release: r, ...(out as { [K in FactName]: Rule<KernelFacts[K]> }) };
}

function decide(fact: FactName, r: ParsedRelease, boot: BootParams | undefined): Rule<unknown> {
  if (r.major === null || r.minor === null) {
    return { value: "unknown", source: "kernel-release.ts", reason: r.unknownReason ?? "kernel release not recognised" };
  }
  for (const row of KERNEL_FACTS) {
    if (row.fact !== fact) continue;
    const m = matches(row.when, r, boot);
    if (m === false) continue;
    if (typeof m === "string") return { value: "unknown", source: row.source, reason: `${m}; the rule needs it: ${row.reason}` };
    return { value: row.value, source: row.source, reason: explain(row, r, boot) };
  }
  return { value: "unknown", source: "kernel-facts.ts", reason: `no rule covers ${r.raw.trim()}` };
}

function explain(row: FactRow, r: ParsedRelease, boot: BootParams | undefined): string {
  let reason = row.reason;
  if (r.distro === "unknown") reason += " (vendor kernel judged by its base version)";
  if (row.fact === "kmemForkLeak" && row.value === true && boot === undefined) reason += "; unless booted with cgroup.memory=nokmem (boot parameters not read)";
  if (r.warning) reason += ` [release: ${r.warning}]`;
  return reason;
}

/** true/false, or a string saying why the row cannot be decided (a hidden patch level). */
function matches(w: When, r: ParsedRelease, boot: BootParams | undefined): boolean | string {
  if (w.distro && !w.distro.includes(r.distro)) return false;
  if (w.base !== undefined && w.base !== `${r.major}.${r.minor}`) return false;
  if (w.nokmem !== undefined && (boot?.nokmem ?? false) !== w.nokmem) return false;
  if (w.buildFrom && cmpList(r.distroBuild ?? [], w.buildFrom) < 0) return false;
  if (w.buildBefore && cmpList(r.distroBuild ?? [], w.buildBefore) >= 0) return false;
  for (const [bound, wantAtLeast] of [[w.from, true], [w.before, false]] as const) {
    if (bound === undefined) continue;
    const c = cmpVersion(r, bound);
    if (c === undefined) return `the upstream patch level of ${r.raw.trim()} is not in the release string (it must be compared with ${bound})`;
    if (wantAtLeast ? c < 0 : c >= 0) return false;
  }
  return true;
}

/** Compares a release with "M.m" or "M.m.p"; undefined when the patch is needed but unknown. */
export function cmpVersion(r: ParsedRelease, bound: string): number | undefined {
  const b = bound.split(".").map(Number);
  const c = cmpList([r.major ?? 0, r.minor ?? 0], b.slice(0, 2));
  if (c !== 0 || b.length < 3) return c;
  if (r.patch === null) return undefined;
  return cmpList([r.patch], b.slice(2));
}

function cmpList(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
