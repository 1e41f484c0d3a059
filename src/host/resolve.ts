import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The host path `hostPath` names once its symlinks are followed inside the host root: an absolute
 * link target ("/usr/bin/runc") means the host's path, not ours, and ".." stops at the root (posix
 * join normalises it away), so the answer never leaves the root. undefined when a part is missing.
 */
export function realpathUnder(root: string, hostPath: string, depth = 0): string | undefined {
  if (depth > 16) return undefined;
  const parts = hostPath.split("/").filter((p) => p !== "");
  let cur = "/";
  for (let i = 0; i < parts.length; i++) {
    const next = path.posix.join(cur, parts[i]!);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(root, next));
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) {
      const target = fs.readlinkSync(path.join(root, next));
      const abs = target.startsWith("/") ? target : path.posix.join(cur, target);
      return realpathUnder(root, path.posix.join(abs, ...parts.slice(i + 1)), depth + 1);
    }
    cur = next;
  }
  return cur;
}
