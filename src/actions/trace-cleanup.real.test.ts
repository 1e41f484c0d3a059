import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { MEMCG_V1, needsRootMemcgV1, uniqueName, runInCgroup, removeCgroupTree } from "../testing/kernel.js";
import { CLI } from "../testing/fixtures.js";
import { Host } from "../host/host.js";
import { mountPrivate, unmountPrivate } from "../host/tracefs-mount.js";
import { selfOwner } from "../collect/trace-owner.js";
import { formatInstanceName } from "../parsers/trace-instance-name.js";

const skip = needsRootMemcgV1();

const tracefsMounts = (): string[] =>
  fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => / - tracefs /.test(l))
    .map((l) => l.split(" ")[4] as string);

interface Tracer {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

/** `cgleak trace` under `prefix`, resolved once it printed (its instance exists and its cleanup ran by then). */
async function startTrace(prefix: string): Promise<Tracer> {
  const args = [CLI, "trace", "--json", "--interval", "100ms", "--instance-prefix", prefix];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.on("exit", (code) => reject(new Error(`cgleak trace exited early (${code}): ${err}`)));
  });
  return { child, out: () => out, err: () => err, exited };
}

async function until<T>(what: string, f: () => T | undefined, ms = 15_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const v = f();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

test(
  "a SIGKILLed trace's instance and private mount are removed by the next trace; live, other-namespace and " +
    "other-prefix instances are left",
  { skip, timeout: 60_000 },
  async () => {
    const prefix = uniqueName("tracekill");
    const self = selfOwner(new Host("/"));
    // The runner's own private mount: the tracers skip it (and it is alive), so it outlives them.
    const mine = mountPrivate(formatInstanceName(`${prefix}-runner`, self));
    const dir = (n: string): string => path.join(mine, "instances", n);
    const live = formatInstanceName(prefix, self);
    const reused = formatInstanceName(prefix, { ...self, startTime: self.startTime + 1 });
    const otherNs = formatInstanceName(prefix, { ...self, pid: 1, pidNs: self.pidNs + 1 });
    const otherPrefix = formatInstanceName(`${prefix}x`, { ...self, pid: 1, startTime: 1 });
    const made = [live, reused, otherNs, otherPrefix];
    const cg = path.join(MEMCG_V1, prefix);
    const file = `/tmp/${prefix}.f`;
    const tracers: Tracer[] = [];
    let first: string | undefined;
    let firstMount: string | undefined;
    try {
      for (const n of made) fs.mkdirSync(dir(n));
      const mountsBefore = new Set(tracefsMounts());
      const a = await startTrace(prefix);
      tracers.push(a);
      first = formatInstanceName(prefix, { ...self, ...pidStart(a.child.pid!) });
      firstMount = tracefsMounts().find((m) => !mountsBefore.has(m));
      assert.ok(fs.existsSync(dir(first)), `its instance ${first}`);
      assert.match(
        a.err(),
        new RegExp(`removed tracefs instance ${reused} a dead cgleak left: pid ${self.pid} now is `),
      );
      assert.match(
        a.err(),
        new RegExp(`left tracefs instance ${otherNs}: cannot tell whether its maker runs: made in`),
      );
      a.child.kill("SIGKILL");
      await a.exited;
      assert.ok(fs.existsSync(dir(first)), "a SIGKILLed tracer leaves its instance");
      if (firstMount !== undefined) assert.ok(tracefsMounts().includes(firstMount), "and its private mount");

      const b = await startTrace(prefix);
      tracers.push(b);
      assert.equal(fs.existsSync(dir(first)), false, `dead instance removed:\n${b.err()}`);
      assert.match(b.err(), new RegExp(`removed tracefs instance ${first} a dead cgleak left: pid ${a.child.pid} no`));
      if (firstMount !== undefined) assert.equal(tracefsMounts().includes(firstMount), false, "dead mount unmounted");
      for (const n of [live, otherNs, otherPrefix]) assert.ok(fs.existsSync(dir(n)), `${n} left alone`);
      assert.equal(b.err().includes(otherPrefix), false, "another prefix is not even mentioned");

      // The new instance traces: a pinned memcg's rmdir is named.
      fs.mkdirSync(`${cg}/c1`, { recursive: true });
      runInCgroup(`${cg}/c1`, `dd if=/dev/zero of=${file} bs=64k count=4 2>/dev/null`);
      fs.rmdirSync(`${cg}/c1`);
      await until("the pinned memcg named", () => (b.out().includes(`"/${prefix}/c1"`) ? true : undefined));
      b.child.kill("SIGTERM");
      assert.equal(await b.exited, 0);
      const left = fs
        .readdirSync(path.join(mine, "instances"))
        .filter((n) => n.startsWith(`${prefix}-${b.child.pid}-`));
      assert.deepEqual(left, [], "a stopped tracer removes its own");
    } finally {
      for (const t of tracers) t.child.kill("SIGKILL");
      await Promise.all(tracers.map((t) => t.exited));
      for (const n of [...made, first]) if (n !== undefined && fs.existsSync(dir(n))) fs.rmdirSync(dir(n));
      if (firstMount !== undefined && tracefsMounts().includes(firstMount)) unmountPrivate(firstMount);
      unmountPrivate(mine);
      fs.rmSync(file, { force: true });
      if (fs.existsSync(cg)) fs.writeFileSync(`${cg}/memory.force_empty`, "0");
      removeCgroupTree(cg);
    }
  },
);

/** A process's pid and start time, as its instance name records them. */
function pidStart(pid: number): { pid: number; startTime: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return { pid, startTime: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]) };
}
