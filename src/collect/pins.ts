import type { Host } from "../host/host.js";
import type { CgroupHierarchy } from "./mounts.js";
import type { WalkEntry } from "../host/walk.js";
import { ChargeReader, below, clamp, isZero, minus, type Charge, type Stat } from "./charge-reader.js";

export type { Charge } from "./charge-reader.js";

/** What the dying memcgs below one live memcg hold: it is their nearest live ancestor. */
export interface Pin extends Charge {
  /** The live memcg, relative to the hierarchy root ("" for the root). */
  path: string;
}

export interface PinScan {
  pins: Pin[];
  /** Live memcgs below which dying ones pin an amount that cannot be told from live pages (v2 only). */
  unknown: string[];
  /** memory.stat (and cgroup.stat) files read: the cost, which follows the pinned paths. */
  reads: number;
}

/**
 * Finds what dying memcgs pin at every depth, exact to the page. A live memcg's hierarchical charge
 * minus its own and its live children's is what its dying children hold (with their own dying
 * children); it is attributed to it, their nearest live ancestor. The descent goes only where
 * something is charged below a memcg, and stops listing a memcg's children as soon as the ones read
 * explain all of it: since no charge is negative, the unread children then hold nothing. Children
 * changed most recently (a child created or removed updates the parent's mtime) are read first,
 * since a removed container is what leaves pins. On cgroupfs that order helps little: kernfs keeps
 * a directory's mtime from when its inode was made (checked on 6.18, README's scan benchmark).
 */
export function findPins(host: Host, h: CgroupHierarchy, root: WalkEntry, swap: boolean): PinScan {
  const reader = new ChargeReader(host, h, swap);
  const scan: PinScan = { pins: [], unknown: [], reads: 0 };
  reader.within(() => {
    if (h.version === 1) {
      const own = reader.read("");
      if (own !== undefined) descend(reader, root, below(own), scan);
      return;
    }
    // The v2 root has no memory.stat: start at the top-level memcgs (pins right below the root
    // are counted by cgroup.stat but cannot be told from the root's own pages).
    for (const top of root.children ?? []) {
      const c = reader.readIfDying(top.rel);
      if (c !== undefined) descend(reader, top, below(c), scan);
    }
  });
  scan.reads = reader.reads;
  return scan;
}

/** `rest`: what is charged below `x` and not yet explained. */
function descend(reader: ChargeReader, x: WalkEntry, rest: Charge, scan: PinScan): void {
  if (isZero(rest)) return;
  const kids = x.children ?? [];
  if (kids.length === 0) return leaf(reader, x, rest, scan);
  const next: Array<[WalkEntry, Stat]> = [];
  for (const k of [...kids].sort((a, b) => b.mtimeMs - a.mtimeMs)) {
    if (isZero(rest)) break;
    // A child removed since the walk is one of the dying now: its charge stays in `rest`.
    const c = reader.read(k.rel);
    if (c === undefined) continue;
    rest = minus(rest, c.total);
    next.push([k, c]);
  }
  if (!isZero(rest)) scan.pins.push({ path: x.rel, ...clamp(rest) });
  for (const [k, c] of next) {
    if (reader.mayPinBelow(k.rel)) descend(reader, k, below(c), scan);
  }
}

/** A live memcg without live children: whatever is charged below itself is its dying children's. */
function leaf(reader: ChargeReader, x: WalkEntry, rest: Charge, scan: PinScan): void {
  if (reader.ownPagesUnknown(x.rel)) scan.unknown.push(x.rel);
  else scan.pins.push({ path: x.rel, ...clamp(rest) });
}

/**
 * The pod UID in a kubelet cgroup path: `pod<uid>` with the cgroupfs driver, `-pod<uid>.slice`
 * with dashes as underscores under the systemd driver (kubelet's pkg/kubelet/cm/cgroup_manager_linux.go).
 */
export function podUidOf(rel: string): string | null {
  const m = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/.exec(rel);
  return m ? (m[1] as string).replaceAll("_", "-") : null;
}
