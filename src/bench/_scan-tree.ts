/**
 * The trees `npm run bench -- scan` measures (issue #17), built under a scratch cgroup on the real
 * v1 memory hierarchy. Imported by src/bench/scan.ts (and by hand, to profile a kept tree).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { removeCgroupTree } from "../testing/kernel.js";

/** 100 or 600 parents of 99 leaves, as in docs/lab-results.md §5. */
export function buildFlat(root: string, parents: number): void {
  fs.mkdirSync(root);
  for (let p = 0; p < parents; p++) {
    const dir = path.join(root, `p${p}`);
    fs.mkdirSync(dir);
    for (let c = 0; c < 99; c++) fs.mkdirSync(path.join(dir, `c${c}`));
  }
}

const PODS = 2000;
const LIVE_PER_POD = 4;
/** Every 4th pod also had two containers that were removed: 1,000 dying containers. */
const DEAD_PER_POD = 2;
const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0");
const podName = (i: number): string => `pod0000${hex(i, 4)}-0000-4000-8000-${hex(i, 12)}`;
const containerId = (pod: number, c: number): string => `${hex(pod, 8)}${hex(c, 8)}`.padEnd(64, "c");

/**
 * A kubelet-like tree (cgroupfs driver): kubepods/{burstable,besteffort}/pod<uid>/<container id>,
 * 2,000 live pods of 4 live containers: 10,004 live memcgs with the scratch root. 500 of the pods
 * also ran two containers that each joined, wrote a page, left and were removed: 1,000 dying
 * memcgs under live pods, so the pin descent has to go below the pods. The pages are tmpfs (shmem,
 * page cache to the kernel), which other engineers' drop_caches cannot free mid-benchmark; deleting
 * the files in `files` frees the dying memcgs. One shell does every write, moving itself from
 * container to container, so building costs no process per container.
 */
export function buildKubepods(root: string, files: string): void {
  fs.mkdirSync(root);
  fs.mkdirSync(files, { recursive: true });
  const dying: string[] = [];
  for (let i = 0; i < PODS; i++) {
    const pod = path.join(root, "kubepods", i % 3 === 0 ? "besteffort" : "burstable", podName(i));
    fs.mkdirSync(pod, { recursive: true });
    for (let c = 0; c < LIVE_PER_POD; c++) fs.mkdirSync(path.join(pod, containerId(i, c)));
    if (i % 4 !== 0) continue;
    for (let c = LIVE_PER_POD; c < LIVE_PER_POD + DEAD_PER_POD; c++) {
      fs.mkdirSync(path.join(pod, containerId(i, c)));
      dying.push(path.join(pod, containerId(i, c)));
    }
  }
  writeAndLeave(root, files, dying);
  for (const d of dying) fs.rmdirSync(d);
}

function writeAndLeave(root: string, files: string, dirs: string[]): void {
  // On stdin: one argument may not exceed 128 KiB (MAX_ARG_STRLEN).
  const script = dirs.map((d, i) => `echo $$ > ${d}/cgroup.procs && printf '%4096s' x > ${files}/f${i} || exit 1`);
  const r = spawnSync("sh", [], {
    input: `set -e\n${script.join("\n")}\necho $$ > ${root}/cgroup.procs\n`,
    stdio: ["pipe", "inherit", "inherit"],
  });
  if (r.status !== 0) throw new Error("the writers failed");
}

/** Deleting the tmpfs files frees the dying memcgs too. */
export function removeTree(root: string, files: string): void {
  removeCgroupTree(root);
  fs.rmSync(files, { recursive: true, force: true });
}
