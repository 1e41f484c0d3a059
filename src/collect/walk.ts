import * as fs from "node:fs";
import { isVanished } from "../host/errors.js";

/** One cgroup directory met by the walk. */
export interface WalkEntry {
  /** Path relative to the hierarchy root, "" for the root itself, "/"-separated. */
  rel: string;
  depth: number;
  mtimeMs: number;
}

export interface WalkStats {
  dirs: number;
  /** Directories that disappeared between being listed and being read: normal on a busy node. */
  vanished: number;
  /** Directories whose entries had to be listed (the rest cost one stat). */
  listed: number;
}

/**
 * Walks a cgroup hierarchy depth first and calls `visit` for every directory, the root included.
 *
 * On cgroupfs (kernfs) a directory's link count is 2 plus its subdirectories, so a leaf (link
 * count 2) is never listed: the walk costs one stat per leaf instead of a readdir, 4x cheaper on
 * 10,000 memcgs (kernel-lab.md §7). A filesystem that does not keep that count (link count < 2)
 * is listed anyway. `descend` may stop the walk below a directory.
 */
export function walkCgroupDirs(
  root: string,
  visit: (e: WalkEntry) => void,
  descend: (e: WalkEntry) => boolean = () => true,
): WalkStats {
  const stats: WalkStats = { dirs: 0, vanished: 0, listed: 0 };
  const top = fs.statSync(root);
  const stack: Array<[WalkEntry, number]> = [[{ rel: "", depth: 0, mtimeMs: top.mtimeMs }, top.nlink]];
  while (stack.length > 0) {
    const [entry, nlink] = stack.pop() as [WalkEntry, number];
    stats.dirs++;
    visit(entry);
    if (nlink === 2 || !descend(entry)) continue;
    const dir = entry.rel === "" ? root : `${root}/${entry.rel}`;
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (!isVanished(err)) throw err;
      stats.vanished++;
      continue;
    }
    stats.listed++;
    for (const d of names) {
      if (!d.isDirectory()) continue;
      const rel = entry.rel === "" ? d.name : `${entry.rel}/${d.name}`;
      const st = fs.lstatSync(`${root}/${rel}`, { throwIfNoEntry: false });
      if (st === undefined) {
        stats.vanished++;
        continue;
      }
      stack.push([{ rel, depth: entry.depth + 1, mtimeMs: st.mtimeMs }, st.nlink]);
    }
  }
  return stats;
}
