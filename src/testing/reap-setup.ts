import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { MEMCG_V1, uniqueName } from "./kernel.js";
import { removeTree } from "../actions/rmdir.js";

/**
 * The reaper's proving ground on the real v1 kernel, all under one unique top-level cgroup:
 *   <top>/pods           the live parent that holds the dying memcgs
 *   <top>/pods/live      a live workload re-reading its files in a loop (a hot working set)
 *   <top>/pods/d<i>      N removed memcgs, each still charged for the page cache it wrote
 *   <top>/shm/s<i>       M removed memcgs pinned by files on a private tmpfs (not reclaimable)
 *   <top>/home           where the helper that made them goes back to (a live leaf)
 */
export interface ReapLab {
  top: string;
  rel: string;
  pods: string;
  live: string;
  tmp: string;
  workload: ChildProcess | null;
  tmpfs: string | null;
}

/** One perl process joins each child, writes a file from inside it, leaves, rmdirs it (docs/lab-results.md §1: 1,000 in 0.26 s). */
const MKDYING = String.raw`
use strict; my ($p,$home,$fd,$n,$bytes)=@ARGV; my $buf = 'x' x $bytes;
sub put { my ($f,$v)=@_; open(my $h,'>',$f) or die "open $f: $!"; print $h $v or die; close($h) or die "write $f: $!"; }
for my $i (1..$n) {
  mkdir("$p/d$i") or die "mkdir $p/d$i: $!\n";
  put("$p/d$i/cgroup.procs", $$);
  open(my $h,'>',"$fd/f$i") or die "open $fd/f$i: $!"; print $h $buf; close $h;
  put("$home/cgroup.procs", $$);
  rmdir("$p/d$i") or die "rmdir $p/d$i: $!\n";
}`;

export function makeLab(tag: string): ReapLab {
  const rel = uniqueName(tag);
  const top = path.join(MEMCG_V1, rel);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${rel}-`));
  fs.mkdirSync(top);
  const lab: ReapLab = { top, rel, pods: `${top}/pods`, live: `${top}/pods/live`, tmp, workload: null, tmpfs: null };
  for (const d of [`${top}/home`, lab.pods, lab.live]) fs.mkdirSync(d);
  return lab;
}

/** N dying memcgs below `parent` (a real path), each pinning `bytes` of page cache in files under `files`. */
export function makeDying(lab: ReapLab, parent: string, files: string, n: number, bytes: number): void {
  fs.mkdirSync(parent, { recursive: true });
  fs.mkdirSync(files, { recursive: true });
  const r = spawnSync("perl", ["-e", MKDYING, parent, `${lab.top}/home`, files, String(n), String(bytes)], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`making dying memcgs failed: ${r.stderr.trim()}`);
  spawnSync("sync");
}

/** The hot working set: `mib` files of 1 MiB, re-read every 100 ms from inside pods/live. */
export function startWorkload(lab: ReapLab, mib: number): void {
  const dir = path.join(lab.tmp, "hot");
  fs.mkdirSync(dir);
  // written from inside pods/live: page cache is charged to the memcg that first brings it in
  const r = spawnSync("sh", [
    "-c",
    `echo $$ > "$2/cgroup.procs" || exit 10; for i in $(seq ${mib}); do head -c 1048576 /dev/urandom > "$1/h$i"; done; sync`,
    "sh",
    dir,
    lab.live,
  ]);
  if (r.status !== 0) throw new Error("writing the working set failed");
  lab.workload = spawn(
    "sh",
    [
      "-c",
      `echo $$ > "$1/cgroup.procs" || exit 10; while :; do cat "$2"/h* > /dev/null; sleep 0.1; done`,
      "sh",
      lab.live,
      dir,
    ],
    { stdio: "ignore" },
  );
}

/** A private tmpfs for shmem pins, unmounted by removeLab. */
export function mountTmpfs(lab: ReapLab): string {
  const dir = path.join(lab.tmp, "shm");
  fs.mkdirSync(dir);
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=256m", `${lab.rel}-tmpfs`, dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mount tmpfs: ${r.stderr.trim()}`);
  lab.tmpfs = dir;
  return dir;
}

export function readStat(dir: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of fs.readFileSync(`${dir}/memory.stat`, "utf8").split("\n")) {
    const [k, v] = line.split(" ");
    if (k && v) m.set(k, Number(v));
  }
  return m;
}

/**
 * The live workload's page cache, its refaults, and the bytes it has read from the disk (its
 * shell's /proc/PID/io read_bytes, which takes in each reaped `cat`): a re-read after
 * drop_caches counts as no refault (no shadow entry is left), but it does read the disk.
 */
export function liveFigures(lab: ReapLab): { cache: number; refaults: number; diskRead: number } {
  const st = readStat(lab.live);
  const io = lab.workload?.pid === undefined ? "" : fs.readFileSync(`/proc/${lab.workload.pid}/io`, "utf8");
  return {
    cache: st.get("total_cache") ?? 0,
    refaults: (st.get("total_workingset_refault_file") ?? 0) + (st.get("total_workingset_refault_anon") ?? 0),
    diskRead: Number(/^read_bytes: (\d+)/m.exec(io)?.[1] ?? 0),
  };
}

/** Kills the workload, deletes the files (which frees the dying memcgs), unmounts, removes the tree. */
export async function removeLab(lab: ReapLab): Promise<string[]> {
  const problems: string[] = [];
  if (lab.workload && lab.workload.exitCode === null) {
    const gone = new Promise((r) => lab.workload?.once("exit", r));
    lab.workload.kill("SIGKILL");
    await gone;
  }
  if (lab.tmpfs) {
    const r = spawnSync("umount", [lab.tmpfs], { encoding: "utf8" });
    if (r.status !== 0) problems.push(`umount ${lab.tmpfs}: ${r.stderr.trim()}`);
  }
  fs.rmSync(lab.tmp, { recursive: true, force: true });
  removeTree(lab.top, problems);
  return problems;
}

/**
 * `cgleak reap` flags that make every pass act on a test tree: targets of zero (any dying memcg is
 * too many) and PSI guards at 100 (a loaded CI machine's pressure never holds a pass back).
 */
export const ALWAYS_ACT = ["--target-dying", "0", "--target-pinned", "0", "--psi-io", "100", "--psi-memory", "100"];
