import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import type { Host } from "../host/host.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { removeTree } from "./rmdir.js";

/**
 * A scratch memcg tree `cgleak-<tag>-<pid>-<rand>` plus a temp directory, both removed on
 * success, failure, SIGINT and SIGTERM. Processes that leave a child memcg go to `home`, a live
 * leaf: on v2 a cgroup with children cannot hold processes itself, and nothing ever goes to the
 * hierarchy root.
 */
export class Scratch {
  readonly name: string;
  /** Host-absolute cgroup path relative to the hierarchy root ("cgleak-repro-..."). */
  readonly rel: string;
  /** Real paths. */
  readonly dir: string;
  readonly home: string;
  readonly tmp: string;
  private readonly mounts: string[] = [];
  private readonly onSignal: (sig: NodeJS.Signals) => void;
  private done = false;

  constructor(
    readonly host: Host,
    readonly h: CgroupHierarchy,
    tag = "repro",
  ) {
    this.name = `cgleak-${tag}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.rel = this.name;
    this.dir = host.path(`${h.mountPoint}/${this.name}`);
    this.home = `${this.dir}/home`;
    // os.tmpdir() rather than the host root: files must live on a real disk filesystem we write.
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${this.name}-`));
    this.onSignal = (sig) => {
      this.cleanup();
      process.exit(sig === "SIGINT" ? 130 : 143);
    };
    process.once("SIGINT", this.onSignal);
    process.once("SIGTERM", this.onSignal);
    try {
      fs.mkdirSync(this.dir);
      if (h.version === 2) fs.writeFileSync(`${this.dir}/cgroup.subtree_control`, "+memory");
      fs.mkdirSync(this.home);
    } catch (err) {
      this.cleanup();
      throw err;
    }
  }

  /** Makes a (possibly nested) memcg under the scratch root; returns its real path. */
  mkdir(rel: string): string {
    const p = `${this.dir}/${rel}`;
    fs.mkdirSync(p);
    return p;
  }

  /** Turns memory on for the children of a nested scratch cgroup (v2 only). */
  enableChildren(realDir: string): void {
    if (this.h.version === 2) fs.writeFileSync(`${realDir}/cgroup.subtree_control`, "+memory");
  }

  /** Mounts a private tmpfs in the temp dir (shmem pins), unmounted at cleanup. */
  mountTmpfs(name: string, size = "512m"): string {
    const dir = path.join(this.tmp, name);
    fs.mkdirSync(dir);
    const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, `${this.name}-tmpfs`, dir], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`mount tmpfs on ${dir}: ${r.stderr.trim() || r.error?.message}`);
    this.mounts.push(dir);
    return dir;
  }

  /** Deletes files, unmounts, removes the memcg tree deepest first. Returns what could not be undone. */
  cleanup(): string[] {
    if (this.done) return [];
    this.done = true;
    process.removeListener("SIGINT", this.onSignal);
    process.removeListener("SIGTERM", this.onSignal);
    const problems: string[] = [];
    for (const m of this.mounts.reverse()) {
      const r = spawnSync("umount", [m], { encoding: "utf8" });
      if (r.status !== 0) problems.push(`umount ${m}: ${r.stderr.trim()}`);
    }
    try {
      fs.rmSync(this.tmp, { recursive: true, force: true });
    } catch (err) {
      problems.push(`rm ${this.tmp}: ${(err as Error).message}`);
    }
    removeTree(this.dir, problems);
    return problems;
  }
}
