import * as fs from "node:fs";

/**
 * Blocks the thread for `ms`: only between two rmdir attempts or two kernel readings of a
 * synchronous experiment, where awaiting would let other steps run in between.
 */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * rmdir of a cgroup directory. A process that has just exited (or moved out) may still be counted
 * for a moment, so EBUSY is tried again, `tries` times `waitMs` apart; a directory already gone is done.
 */
export function rmdirRetry(dir: string, tries = 20, waitMs = 50): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code !== "EBUSY" || attempt >= tries) throw err;
      sleepMs(waitMs);
    }
  }
}

/** rmdir deepest first (cgroupfs refuses rmdir of a directory with children); failures go to `problems`. */
export function removeTree(dir: string, problems: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") problems.push(`${dir}: ${(err as Error).message}`);
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeTree(`${dir}/${e.name}`, problems);
  try {
    rmdirRetry(dir);
  } catch (err) {
    problems.push(`rmdir ${dir}: ${(err as Error).message}`);
  }
}
