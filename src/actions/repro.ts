import * as fs from "node:fs";
import { spawnSync } from "node:child_process";
import type { Scratch } from "./scratch.js";
import { dyingCount, settledDying, yieldToSignals } from "./dying.js";
import { Progress } from "./progress.js";
import { rmdirRetry } from "./rmdir.js";
import { readSubtreeCharges } from "../collect/charges.js";

export type Verdict = "leaks" | "does not leak" | "inconclusive";

export interface KmemForkReport {
  mode: "kmem-fork";
  n: number;
  leaked: number;
  verdict: Verdict;
  sentence: string;
  evidence: string[];
}

/** leaked is a delta of a kernel-wide count on v1, so only clear majorities decide. */
export function verdictOf(leaked: number, n: number): Verdict {
  if (leaked >= n * 0.5) return "leaks";
  if (leaked <= n * 0.2) return "does not leak";
  return "inconclusive";
}

/**
 * The article's steps 3 to 7, N times: mkdir; kmem limit 1 then -1 where the file exists; a
 * shell joins, forks `sleep`, moves every task out (to the scratch's live `home` leaf), the
 * sleep is killed; rmdir. Then, once asynchronous freeing has settled, how many never went.
 */
export async function reproKmemFork(s: Scratch, n: number): Promise<KmemForkReport> {
  const rel = s.h.version === 2 ? s.rel : "";
  const before = dyingCount(s.host, s.h, rel);
  const kmemNotes = new Set<string>();
  const bar = new Progress("kmem-fork", n);
  for (let i = 1; i <= n; i++) {
    const dir = s.mkdir(`k${i}`);
    kmemNotes.add(switchKmemOn(dir));
    joinForkLeave(dir, s.home);
    rmdirRetry(dir);
    bar.tick(i);
    await yieldToSignals();
  }
  bar.end();
  const after = await settledDying(s.host, s.h, rel);
  const leaked = Math.min(n, Math.max(0, after - before)); // more than n is background churn
  const verdict = verdictOf(leaked, n);
  return {
    mode: "kmem-fork",
    n,
    leaked,
    verdict,
    sentence: `this kernel leaks ${leaked} of ${n} memcgs under kmem and fork (${verdict})`,
    evidence: [
      ...kmemNotes,
      `dying memcgs ${before} before, ${after} after the ${n} rmdirs, once freeing settled (${s.h.version === 1 ? "/proc/cgroups memory num_cgroups minus live directories, kernel-wide" : `${s.rel}/cgroup.stat`})`,
      `scratch memory.usage_in_bytes after: ${readNumber(`${s.dir}/memory.usage_in_bytes`) ?? "n/a"}, kmem: ${readNumber(`${s.dir}/memory.kmem.usage_in_bytes`) ?? "n/a"}`,
    ],
  };
}

/** Step 3. On 6.x the write succeeds and changes nothing (docs/lab-results.md §1): say which. */
export function switchKmemOn(dir: string): string {
  const file = `${dir}/memory.kmem.limit_in_bytes`;
  if (!fs.existsSync(file))
    return "memory.kmem.limit_in_bytes is absent: kmem is accounted without being switched on (v2, or a kernel without the v1 kmem limit)";
  const results = ["1", "-1"].map((v) => {
    try {
      fs.writeFileSync(file, v);
      return `wrote ${v}, read back ${fs.readFileSync(file, "utf8").trim()}`;
    } catch (err) {
      return `write ${v} failed: ${(err as NodeJS.ErrnoException).code}`;
    }
  });
  const noop =
    results[0]?.startsWith("wrote 1, read back") === true &&
    !results[0].endsWith(" 1") &&
    !results[0].endsWith(" 4096");
  return `memory.kmem.limit_in_bytes: ${results.join("; ")}${noop ? " - the write is a no-op on this kernel (deprecated)" : ""}`;
}

const JOIN_FORK_LEAVE = [
  'echo $$ > "$1/cgroup.procs" || exit 10',
  "sleep 100 & s=$!",
  'for p in $(cat "$1/cgroup.procs"); do echo $p > "$2/cgroup.procs" 2>/dev/null; done',
  "kill $s; wait $s 2>/dev/null",
  'test -z "$(cat "$1/cgroup.procs")" || exit 11',
].join("; ");

/** Steps 4 and 5 in a child shell: the caller never enters the cgroup. */
function joinForkLeave(dir: string, home: string): void {
  const r = spawnSync("sh", ["-c", JOIN_FORK_LEAVE, "sh", dir, home], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`helper shell in ${dir} failed (exit ${r.status}): ${r.stderr.trim()}`);
}

/** Runs `script` in a child shell that first joins `dir`; $2.. are `args`. */
export function runInside(dir: string, script: string, ...args: string[]): void {
  const r = spawnSync("sh", ["-c", `echo $$ > "$1/cgroup.procs" || exit 10; ${script}`, "sh", dir, ...args], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`helper shell in ${dir} failed (exit ${r.status}): ${r.stderr.trim()}`);
}

function readNumber(file: string): number | undefined {
  try {
    return Number(fs.readFileSync(file, "utf8").trim());
  } catch {
    return undefined;
  }
}

/** Page cache charged to the scratch subtree `rel` that none of its live memcgs holds. */
export function pinnedBytes(s: Scratch, rel: string): number | null {
  return readSubtreeCharges(s.host, s.h, rel, []);
}
