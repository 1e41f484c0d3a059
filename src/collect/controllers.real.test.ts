import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../scan.js";
import { NOTABLE_DYING_CSS } from "../analyze/findings/dying-controllers.js";
import { needsRootMemcgV1, removeCgroupTree, uniqueName } from "../testing/kernel.js";
import { sleepMs } from "../actions/rmdir.js";

/**
 * Dying cgroups in every controller this kernel mounts: a process that exited but was not reaped
 * (a zombie) keeps its css_set, and so a css in every controller of each cgroup it was in, until
 * its parent waits for it. 100 zombies in 100 removed cgroups of each hierarchy must show as 100
 * dying in each controller, raise the dying-controllers finding, and go once they are reaped.
 */
const skip = needsRootMemcgV1();
const NAME = uniqueName("css");
const ROOT = "/sys/fs/cgroup";
/** The v1 hierarchies of this machine with /proc/cgroups lines, and the v2 one (perf_event is implicit there). */
const V1 = ["cpu", "cpuacct", "cpuset", "devices", "freezer", "blkio", "pids", "memory"];
const DIRS = [...V1, "unified"].filter((d) => fs.existsSync(path.join(ROOT, d, "cgroup.procs")));
const N = NOTABLE_DYING_CSS;
let parent: ChildProcess | undefined;

after(() => {
  parent?.kill("SIGKILL");
  if (skip) return;
  waitFor(() => DIRS.every((d) => removable(d)));
  for (const d of DIRS) removeCgroupTree(path.join(ROOT, d, NAME));
});

function removable(d: string): boolean {
  try {
    removeCgroupTree(path.join(ROOT, d, NAME));
    return true;
  } catch {
    return false;
  }
}

function waitFor(ok: () => boolean, ms = 5000): boolean {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (ok()) return true;
    sleepMs(50);
  }
  return ok();
}

function makeCgroups(): void {
  for (const d of DIRS) {
    for (let i = 0; i < N; i++) {
      const cg = path.join(ROOT, d, NAME, `z${i}`);
      fs.mkdirSync(cg, { recursive: true });
      if (d !== "cpuset") continue;
      for (const f of ["cpuset.cpus", "cpuset.mems"]) {
        fs.writeFileSync(path.join(ROOT, d, NAME, f), fs.readFileSync(path.join(ROOT, d, f)));
        fs.writeFileSync(path.join(cg, f), fs.readFileSync(path.join(ROOT, d, f)));
      }
    }
  }
}

/**
 * A parent that never reaps: N children join one cgroup each in every hierarchy and wait on fd 3;
 * once the shell has become `sleep` (which never waits), fd 3 is closed and they exit as zombies.
 * (While still a shell it would reap them: dash reaps finished background jobs.)
 */
async function zombies(): Promise<void> {
  const join = DIRS.map((d) => `echo $$ > ${ROOT}/${d}/${NAME}/z$i/cgroup.procs`).join(" && ");
  const script = `for i in $(seq 0 ${N - 1}); do i=$i sh -c '${join} && echo joined && read x <&3' & done; exec sleep 900`;
  parent = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "inherit", "pipe"] });
  const pid = parent.pid as number;
  let joined = 0;
  parent.stdout!.on("data", (b: Buffer) => {
    joined += b.toString().split("joined").length - 1;
  });
  const children = (): number[] =>
    fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  const comm = (): string => fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  assert.ok(
    await poll(() => joined === N && comm() === "sleep"),
    `expected ${N} children in the cgroups, got ${joined}`,
  );
  (parent.stdio[3] as NodeJS.WritableStream).end();
  const zombie = (c: number): boolean => / Z /.test(fs.readFileSync(`/proc/${c}/stat`, "utf8"));
  assert.ok(await poll(() => children().length === N && children().every(zombie)), `expected ${N} zombies`);
}

async function poll(ok: () => boolean, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (ok()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return ok();
}

const dyingByController = (): Map<string, number | null> =>
  new Map(
    runScan(new Host("/"), { thresholds: DEFAULT_THRESHOLDS, deep: false, emptyMinAgeMs: 0 }).controllers?.map((c) => [
      c.name,
      c.dying,
    ]),
  );

test(
  "dying cgroups in every controller on the real kernel: 100 unreaped zombies in 100 removed cgroups per hierarchy",
  { skip },
  async () => {
    makeCgroups();
    await zombies();
    const before = dyingByController();
    for (const d of DIRS) for (let i = 0; i < N; i++) fs.rmdirSync(path.join(ROOT, d, NAME, `z${i}`));
    const r = runScan(new Host("/"), { thresholds: DEFAULT_THRESHOLDS, deep: false, emptyMinAgeMs: 0 });
    const during = new Map((r.controllers ?? []).map((c) => [c.name, c.dying]));
    const others = [...before.keys()].filter((c) => c !== "memory" && before.get(c) !== null);
    // perf_event lives on this machine's v2 hierarchy, where every cgroup has one implicitly.
    const delta = Object.fromEntries(others.map((c) => [c, (during.get(c) ?? 0) - (before.get(c) ?? 0)]));
    assert.deepEqual(delta, Object.fromEntries(others.map((c) => [c, c === "hugetlb" ? 0 : N])));
    assert.equal(during.get("name=systemd"), null, "a named hierarchy has no /proc/cgroups line");
    const f = r.findings.find((x) => x.id === "dying-controllers");
    assert.ok(f, "the dying-controllers finding");
    assert.match(f.title, /100 dying cpu\b/);
    parent?.kill("SIGKILL");
    assert.ok(
      waitFor(() => {
        const now = dyingByController();
        return others.every((c) => now.get(c) === before.get(c));
      }),
      "reaping the zombies frees every controller's css",
    );
  },
);
