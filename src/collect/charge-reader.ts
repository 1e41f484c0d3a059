import type { Host } from "../host/host.js";
import { pickMemoryStat } from "../parsers/memory-stat.js";
import { parseCgroupStat } from "../parsers/cgroup-stat.js";
import type { CgroupHierarchy } from "./mounts.js";

/** Bytes by kind. Page cache includes shmem (as the kernel counts it); swap is null where not accounted. */
export interface Charge {
  fileBytes: number;
  shmemBytes: number;
  anonBytes: number;
  swapBytes: number | null;
}

/** A memcg's charge: hierarchical, and its own (v1's plain keys; zero on v2, which has none). */
export interface Stat {
  total: Charge;
  own: Charge;
}

const ZERO: Charge = { fileBytes: 0, shmemBytes: 0, anonBytes: 0, swapBytes: null };

/**
 * memory.stat keys, v1 (Documentation/admin-guide/cgroup-v1/memory.rst §5.2: `cache`, `shmem`,
 * `rss`, `swap`, and `total_*` for the hierarchy) and v2 (cgroup-v2.rst: `file`, `shmem`, `anon`,
 * all hierarchical; swap from `memory.swap.current`).
 */
const V1_KEYS = { fileBytes: "cache", shmemBytes: "shmem", anonBytes: "rss", swapBytes: "swap" } as const;
const V2_KEYS = { fileBytes: "file", shmemBytes: "shmem", anonBytes: "anon" } as const;
const V1_WANTED: ReadonlySet<string> = new Set(Object.values(V1_KEYS).flatMap((k) => [k, `total_${k}`]));
const V2_WANTED: ReadonlySet<string> = new Set(Object.values(V2_KEYS));
/** Every kernel with memcg prints these (swap and shmem come and go with config and version). */
const V1_REQUIRED: ReadonlySet<string> = new Set(["cache", "rss", "total_cache", "total_rss"]);
const V2_REQUIRED: ReadonlySet<string> = new Set(["file", "anon"]);

/** Reads memcgs' charges for the pin descent, counting its reads. */
export class ChargeReader {
  reads = 0;
  private relative = false;
  private readonly dying = new Map<string, number>();

  constructor(
    private readonly host: Host,
    private readonly h: CgroupHierarchy,
    private readonly swap: boolean,
  ) {}

  /**
   * Runs `fn` from inside the hierarchy's root, so each memory.stat is opened by a path relative to
   * it: resolving 2-3 components instead of 7-8 made each read ~25 % cheaper. Where the working
   * directory cannot change (a worker thread) the paths stay absolute.
   */
  within<T>(fn: () => T): T {
    let back: string | undefined;
    try {
      back = process.cwd();
      process.chdir(this.host.path(this.h.mountPoint));
      this.relative = true;
    } catch {
      back = undefined;
    }
    try {
      return fn();
    } finally {
      this.relative = false;
      if (back !== undefined) process.chdir(back);
    }
  }

  /** undefined when the memcg vanished (removed since the walk). */
  read(rel: string): Stat | undefined {
    const stat = this.file(rel, "memory.stat");
    this.reads++;
    const relative = rel === "" ? "memory.stat" : `${rel}/memory.stat`;
    const text = this.relative ? this.host.readSmallIfExists(stat, relative) : this.host.readSmallIfExists(stat);
    if (text === undefined) return undefined;
    const v1 = this.h.version === 1;
    const kv = pickMemoryStat(text, stat, v1 ? V1_WANTED : V2_WANTED, v1 ? V1_REQUIRED : V2_REQUIRED);
    if (v1) return { total: v1Charge(kv, "total_"), own: v1Charge(kv, "") };
    return { total: { ...v2(kv), swapBytes: this.swapOf(rel) }, own: ZERO };
  }

  /** v2: the charge only when cgroup.stat counts dying memcgs below it (else nothing is pinned there). */
  readIfDying(rel: string): Stat | undefined {
    return this.mayPinBelow(rel) ? this.read(rel) : undefined;
  }

  /** v1 cannot tell (no per-cgroup dying count): the charge alone decides. v2 asks cgroup.stat. */
  mayPinBelow(rel: string): boolean {
    return this.h.version === 1 || this.dyingBelow(rel) > 0;
  }

  /** v2 has no own/hierarchical split: a leaf with processes mixes their pages with its dying children's. */
  ownPagesUnknown(rel: string): boolean {
    if (this.h.version === 1) return false;
    this.reads++;
    return /^populated 1$/m.test(this.host.readTextIfExists(this.file(rel, "cgroup.events")) ?? "");
  }

  private dyingBelow(rel: string): number {
    const known = this.dying.get(rel);
    if (known !== undefined) return known;
    const file = this.file(rel, "cgroup.stat");
    this.reads++;
    const text = this.host.readTextIfExists(file);
    const st = text === undefined ? undefined : parseCgroupStat(text, file);
    const n = st === undefined ? 0 : (st.nrDyingSubsysMemory ?? st.nrDyingDescendants);
    this.dying.set(rel, n);
    return n;
  }

  private swapOf(rel: string): number | null {
    if (!this.swap) return null;
    this.reads++;
    const text = this.host.readTextIfExists(this.file(rel, "memory.swap.current"));
    return text === undefined ? null : Number(text.trim());
  }

  private file(rel: string, name: string): string {
    return rel === "" ? `${this.h.mountPoint}/${name}` : `${this.h.mountPoint}/${rel}/${name}`;
  }
}

function v1Charge(kv: Map<string, number>, prefix: string): Charge {
  const swap = kv.get(`${prefix}${V1_KEYS.swapBytes}`);
  return {
    fileBytes: kv.get(prefix + V1_KEYS.fileBytes) ?? 0,
    shmemBytes: kv.get(prefix + V1_KEYS.shmemBytes) ?? 0,
    anonBytes: kv.get(prefix + V1_KEYS.anonBytes) ?? 0,
    swapBytes: swap ?? null,
  };
}

function v2(kv: Map<string, number>): Omit<Charge, "swapBytes"> {
  return {
    fileBytes: kv.get(V2_KEYS.fileBytes) ?? 0,
    shmemBytes: kv.get(V2_KEYS.shmemBytes) ?? 0,
    anonBytes: kv.get(V2_KEYS.anonBytes) ?? 0,
  };
}

/** What is charged below a memcg, itself excluded. */
export function below(s: Stat): Charge {
  return minus(s.total, s.own);
}

export function minus(a: Charge, b: Charge): Charge {
  return {
    fileBytes: a.fileBytes - b.fileBytes,
    shmemBytes: a.shmemBytes - b.shmemBytes,
    anonBytes: a.anonBytes - b.anonBytes,
    swapBytes: a.swapBytes === null ? null : a.swapBytes - (b.swapBytes ?? 0),
  };
}

/** Nothing left to explain: no kind is above zero (a live memcg's pages may move while it is read). */
export function isZero(c: Charge): boolean {
  return c.fileBytes <= 0 && c.shmemBytes <= 0 && c.anonBytes <= 0 && (c.swapBytes ?? 0) <= 0;
}

/** Negative kinds (pages that moved between two reads) count as none. */
export function clamp(c: Charge): Charge {
  const z = (n: number): number => Math.max(0, n);
  return {
    fileBytes: z(c.fileBytes),
    shmemBytes: z(c.shmemBytes),
    anonBytes: z(c.anonBytes),
    swapBytes: c.swapBytes === null ? null : z(c.swapBytes),
  };
}

export function add(a: Charge, b: Charge): Charge {
  return {
    fileBytes: a.fileBytes + b.fileBytes,
    shmemBytes: a.shmemBytes + b.shmemBytes,
    anonBytes: a.anonBytes + b.anonBytes,
    swapBytes: a.swapBytes === null && b.swapBytes === null ? null : (a.swapBytes ?? 0) + (b.swapBytes ?? 0),
  };
}

export const NO_CHARGE = ZERO;
