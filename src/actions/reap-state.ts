import * as fs from "node:fs";
import * as path from "node:path";
import { writeKnobAsync } from "./reap-write.js";

/** Where the limits being changed are written down first, so a crash can be undone. */
export const DEFAULT_STATE_FILE = "/var/lib/cgleak/reap-state.json";

/** One limit the reaper has lowered, or is about to: the file and the value to put back. */
export interface SavedLimit {
  file: string;
  original: string;
  pid: number;
  at: string;
}

/**
 * The reaper's journal. A limit is recorded (and fsynced) before it is lowered and forgotten only
 * after it has been restored; restoreAll() puts back whatever a killed reaper left, and every
 * `cgleak reap` and `serve --reap` runs it before anything else.
 */
export class LimitJournal {
  constructor(readonly file: string) {}

  entries(): SavedLimit[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    try {
      const v = JSON.parse(text) as { limits?: SavedLimit[] };
      return Array.isArray(v.limits) ? v.limits : [];
    } catch {
      throw new Error(`${this.file}: not the reaper's state (invalid JSON); check the limits it names, then remove it`);
    }
  }

  save(e: SavedLimit): void {
    this.write([...this.entries().filter((x) => x.file !== e.file), e]);
  }

  forget(file: string): void {
    this.write(this.entries().filter((x) => x.file !== file));
  }

  /** Puts back every recorded limit; a cgroup that is gone has nothing to restore. Returns what it did. */
  async restoreAll(timeoutMs: number): Promise<string[]> {
    const done: string[] = [];
    for (const e of this.entries()) {
      if (!fs.existsSync(e.file)) {
        done.push(`${e.file}: gone, nothing to restore`);
      } else {
        const r = await writeKnobAsync(e.file, e.original, timeoutMs);
        if (!r.ok)
          throw new Error(`cannot restore ${e.file} to ${e.original} (left by pid ${e.pid} at ${e.at}): ${r.error}`);
        done.push(`${e.file}: restored to ${e.original} (left by pid ${e.pid} at ${e.at})`);
      }
      this.forget(e.file);
    }
    return done;
  }

  private write(limits: SavedLimit[]): void {
    if (limits.length === 0) {
      fs.rmSync(this.file, { force: true });
      return;
    }
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, "w", 0o600);
    try {
      fs.writeSync(fd, JSON.stringify({ limits }, null, 1) + "\n");
      fs.fsyncSync(fd); // on disk before the limit changes: the point of the journal
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}
