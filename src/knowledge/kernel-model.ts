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
  memoryReclaim: Rule<boolean>;
  memcgV1Optional: Rule<boolean>;
  dyingCountedAtRmdir: Rule<boolean>;
  /** How exactly the release string places the kernel. */
  placement: Placement;
}

/** A kernel the model knows (exact), or one it judges by its upstream base version. */
export interface Placement {
  exact: boolean;
  /** "3.10", "4.19.91"...: what the rules were matched against. */
  base: string;
  /** For a person: why the placement is inexact, and what on this node would settle it. */
  note: string;
}

const FACTS: FactName[] = [
  "dyingHoldIds",
  "swapCanPinIds",
  "kmemForkLeak",
  "slabPins",
  "pageCachePins",
  "kmemLimitBroken",
  "kmemLimitFileGone",
  "exhaustionErrno",
  "memoryReclaim",
  "memcgV1Optional",
  "dyingCountedAtRmdir",
];

/** Answers the kernel questions for a release string (and boot parameters). Never throws. */
export function kernelModel(release: string, boot?: BootParams): KernelModel {
  const r = parseRelease(release);
  const out: Partial<Record<FactName, Rule<unknown>>> = {};
  for (const f of FACTS) out[f] = decide(f, r, boot);
  return { release: r, ...(out as { [K in FactName]: Rule<KernelFacts[K]> }), placement: placement(r) };
}

/** The model of a node as read (its release and boot line): every caller's one way to it. */
export function nodeModel(kernel: { release: string; boot: BootParams | null }): KernelModel {
  return kernelModel(kernel.release, kernel.boot ?? undefined);
}

const KNOWN_DISTROS = new Set(["rhel", "ubuntu", "debian", "amzn"]);

/**
 * Distribution kernels the rules name are placed by their build; a plain upstream release by its
 * version. Anything else (a vendor fork, an unrecognised flavour) can carry patches the rules do
 * not know, so its verdicts are "judged by base version X" and say what would settle them.
 */
export function placement(r: ParsedRelease): Placement {
  const base = r.major === null ? "unknown" : [r.major, r.minor, r.patch].filter((n) => n !== null).join(".");
  if (r.major === null) return { exact: false, base, note: r.unknownReason ?? "kernel release not recognised" };
  if (KNOWN_DISTROS.has(r.distro) || (r.distro === "upstream" && r.flavor === undefined))
    return { exact: true, base, note: "" };
  const who =
    r.distro === "unknown"
      ? `a vendor kernel (flavour ${JSON.stringify(r.flavor ?? "")})`
      : `a kernel with a vendor suffix (${JSON.stringify(r.flavor ?? "")})`;
  return {
    exact: false,
    base,
    note: `${r.raw.trim()} is ${who}: judged by base version ${base}; a vendor patch could change what dying memcgs hold`,
  };
}

function decide(fact: FactName, r: ParsedRelease, boot: BootParams | undefined): Rule<unknown> {
  if (r.major === null || r.minor === null) {
    return {
      value: "unknown",
      source: "kernel-release.ts",
      reason: r.unknownReason ?? "kernel release not recognised",
    };
  }
  for (const row of KERNEL_FACTS) {
    if (row.fact !== fact) continue;
    const m = matches(row.when, r, boot);
    if (m === false) continue;
    if (typeof m === "string")
      return { value: "unknown", source: row.source, reason: `${m}; the rule needs it: ${row.reason}` };
    return { value: row.value, source: row.source, reason: explain(row, r, boot) };
  }
  return { value: "unknown", source: "kernel-facts.ts", reason: `no rule covers ${r.raw.trim()}` };
}

function explain(row: FactRow, r: ParsedRelease, boot: BootParams | undefined): string {
  let reason = row.reason;
  if (r.distro === "unknown") reason += " (vendor kernel judged by its base version)";
  if (row.fact === "kmemForkLeak" && row.value === true && boot === undefined)
    reason += "; unless booted with cgroup.memory=nokmem (boot parameters not read)";
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
  for (const [bound, wantAtLeast] of [
    [w.from, true],
    [w.before, false],
  ] as const) {
    if (bound === undefined) continue;
    const c = cmpVersion(r, bound);
    if (c === undefined)
      return `the upstream patch level of ${r.raw.trim()} is not in the release string (it must be compared with ${bound})`;
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
