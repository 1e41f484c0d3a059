import * as fs from "node:fs";
import type { Host } from "../host/host.js";
import { readCgroupMounts, type CgroupHierarchy } from "../collect/mounts.js";
import { walkCgroupDirs, type WalkEntry } from "../host/walk.js";
import { parentOf } from "../collect/subtrees.js";
import { parseCgroupEvents } from "../parsers/cgroup-events.js";
import { childName, inCgroupDir, splitTarget, TargetRefused } from "./target.js";

export interface CleanOptions {
  minAgeMs: number;
  /** Glob on the path below the hierarchy root: `*` one segment's characters, `**` anything. */
  match?: string;
  now: number;
}

export interface EmptyCgroup {
  /** Host-absolute mount point of the hierarchy, and the path below it. */
  mountPoint: string;
  rel: string;
  depth: number;
  ageMs: number;
}

/**
 * Empty cgroup directories older than minAgeMs, in every mounted hierarchy. Empty = no process
 * in the whole subtree (v2 cgroup.events `populated 0`; v1 every cgroup.procs below is empty).
 * A directory is listed only when all its subdirectories are too, so that removing deepest
 * first can succeed.
 */
export function findEmptyCgroups(host: Host, opts: CleanOptions): EmptyCgroup[] {
  const re = opts.match === undefined ? undefined : globToRegExp(opts.match);
  return readCgroupMounts(host).hierarchies.flatMap((h) => findIn(host, h, opts, re));
}

function findIn(host: Host, h: CgroupHierarchy, opts: CleanOptions, re: RegExp | undefined): EmptyCgroup[] {
  const entries: WalkEntry[] = [];
  try {
    walkCgroupDirs(host.path(h.mountPoint), (e) => entries.push(e));
  } catch (err) {
    throw host.retell(err);
  }
  const busy = new Set<string>();
  for (const e of entries) {
    if (e.rel !== "" && populated(host, h, e.rel)) for (let p = e.rel; p !== ""; p = parentOf(p)) busy.add(p);
  }
  const ok = new Map<string, boolean>();
  // deepest first, so a parent sees its children's verdicts
  for (const e of [...entries].sort((a, b) => b.depth - a.depth)) {
    if (e.rel === "") continue;
    const self = !busy.has(e.rel) && ageOf(e, opts.now) >= opts.minAgeMs && (re === undefined || re.test(e.rel));
    const parent = parentOf(e.rel);
    ok.set(e.rel, self && ok.get(e.rel) !== false);
    if (!ok.get(e.rel)) ok.set(parent, false);
    else if (!ok.has(parent)) ok.set(parent, true);
  }
  return entries
    .filter((e) => e.rel !== "" && ok.get(e.rel) === true)
    .map((e) => ({ mountPoint: h.mountPoint, rel: e.rel, depth: e.depth, ageMs: ageOf(e, opts.now) }));
}

/**
 * A cgroup's age is its directory mtime. kernfs sets it when the inode is instantiated, so after
 * inode eviction (drop_caches 2/3, memory pressure) a cgroup looks new: ages err young, which only
 * delays a removal. Its coarse clock can also run a few ms ahead of Date.now().
 */
function ageOf(e: WalkEntry, now: number): number {
  return Math.max(0, now - e.mtimeMs);
}

/** True when the cgroup holds a process: itself on v1 (ancestors are marked by the caller), its subtree on v2. */
function populated(host: Host, h: CgroupHierarchy, rel: string): boolean {
  if (h.version === 2) {
    const file = `${h.mountPoint}/${rel}/cgroup.events`;
    const text = host.readTextIfExists(file);
    return text === undefined ? false : parseCgroupEvents(text, file).populated;
  }
  // a vanished directory has no process; an unreadable one counts as busy
  const procs = host.readTextIfExists(`${h.mountPoint}/${rel}/cgroup.procs`);
  return procs !== undefined && procs.trim() !== "";
}

export interface CleanResult {
  removed: EmptyCgroup[];
  failed: Array<EmptyCgroup & { error: string }>;
}

/**
 * Non-recursive rmdir, deepest first. The kernel refuses rmdir of a cgroup with a process or a
 * child (EBUSY), so one that gained a process since it was listed simply fails and is reported.
 * Each rmdir is made by name inside its parent, checked first (actions/target.ts): a parent that
 * is not a cgroup directory under the host root is refused, whatever path led there.
 */
export function removeEmptyCgroups(host: Host, list: EmptyCgroup[]): CleanResult {
  const out: CleanResult = { removed: [], failed: [] };
  for (const c of [...list].sort((a, b) => b.depth - a.depth)) {
    const { dir, name } = splitTarget(c.mountPoint, c.rel);
    try {
      inCgroupDir(host, dir, () => rmdirChild(`${c.mountPoint}/${c.rel}`, name));
      out.removed.push(c);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === "ENOENT") continue; // someone else removed it
      out.failed.push({ ...c, error: err instanceof TargetRefused ? err.message : (e.code ?? e.message) });
    }
  }
  return out;
}

function rmdirChild(target: string, name: string): void {
  const child = childName(target, name);
  const st = fs.lstatSync(child);
  if (!st.isDirectory()) throw new TargetRefused(target, "not a directory");
  fs.rmdirSync(child);
}

/** `*` and `?` stay within one path segment; `**` crosses segments. A leading "/" is ignored. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  const g = glob.replace(/^\/+/, "");
  for (let i = 0; i < g.length; i++) {
    const c = g[i] as string;
    if (c === "*" && g[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
