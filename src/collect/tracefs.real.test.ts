import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as os from "node:os";
import { needsRootMemcgV1 } from "../testing/kernel.js";
import { Host } from "../host/host.js";
import { openTracefs } from "./tracefs.js";
import { TracefsUnavailable } from "../host/tracefs.js";
import { CLI } from "../testing/fixtures.js";

const here = path.dirname(fileURLToPath(import.meta.url));

const skip = needsRootMemcgV1();

function tracefsMounts(): string[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => / - tracefs /.test(l))
    .map((l) => l.split(" ")[4] as string);
}

/** The tracefs instance dirs a process made, in every tracefs mount this process can see. */
function instancesOf(pid: number): string[] {
  return tracefsMounts().flatMap((m) => {
    const dir = path.join(m, "instances");
    return fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((n) => n.startsWith(`cgleak-${pid}-`))
          .map((n) => path.join(dir, n))
      : [];
  });
}

/** Starts a tracer child and resolves once it has printed (its instance exists by then). */
async function startChild(args: string[]): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.on("exit", (code) => reject(new Error(`tracer exited early (${code}): ${err}`)));
  });
  return { child, exited };
}

async function checkCleanExit(args: string[], stop: (c: ChildProcess) => void): Promise<void> {
  const mountsBefore = new Set(tracefsMounts());
  const { child, exited } = await startChild(args);
  const pid = child.pid!;
  const inst = instancesOf(pid);
  assert.equal(inst.length, 1, `one instance while running: ${inst}`);
  const mounted = tracefsMounts().filter((m) => !mountsBefore.has(m));
  assert.equal(fs.readFileSync(path.join(inst[0]!, "events/cgroup/cgroup_rmdir/enable"), "utf8").trim(), "1");
  stop(child);
  await exited;
  assert.deepEqual(instancesOf(pid), [], "instance removed");
  for (const m of mounted) {
    assert.ok(!tracefsMounts().includes(m), `${m} unmounted`);
    assert.ok(!fs.existsSync(m), `${m} removed`);
  }
}

test("the instance and its private mount are gone after --duration ends", { skip }, async () => {
  await checkCleanExit([CLI, "trace", "--json", "--interval", "100ms", "--duration", "1s"], () => {});
});

test("the instance and its private mount are gone after SIGTERM and after SIGINT", { skip }, async () => {
  await checkCleanExit([CLI, "trace", "--interval", "100ms"], (c) => c.kill("SIGTERM"));
  await checkCleanExit([CLI, "trace", "--interval", "100ms"], (c) => c.kill("SIGINT"));
});

test("the instance is gone after an uncaught exception in the tracing process", { skip }, async () => {
  const tracer = path.join(here, "../actions/tracer.js");
  const host = path.join(here, "../host/host.js");
  const script = `import { dyingTracer } from ${JSON.stringify(tracer)}; import { Host } from ${JSON.stringify(host)};
    const t = dyingTracer(new Host("/"), () => {}); t.start(); console.log("started");
    setTimeout(() => { throw new Error("boom"); }, 300);`;
  await checkCleanExit(["--input-type=module", "-e", script], () => {});
});

test(
  "refuses cleanly without root",
  { skip: process.getuid?.() !== 0 ? "needs root to drop to another uid" : false },
  async () => {
    const child = spawn(process.execPath, [CLI, "trace", "--duration", "1s"], {
      uid: 65534,
      gid: 65534,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    assert.equal(code, 1);
    assert.equal(err, "cgleak trace: needs root: it creates a tracefs instance\n");
  },
);

test(
  "refuses cleanly on a kernel without tracefs",
  { skip: process.getuid?.() !== 0 ? "the root check comes first" : false },
  () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-notracefs-"));
    try {
      fs.mkdirSync(path.join(root, "proc/self"), { recursive: true });
      fs.writeFileSync(
        path.join(root, "proc/self/mountinfo"),
        "22 1 0:21 / /sys rw,relatime shared:7 - sysfs sysfs rw\n",
      );
      fs.writeFileSync(path.join(root, "proc/filesystems"), "nodev\tsysfs\nnodev\tproc\n");
      assert.throws(
        () => openTracefs(new Host(root), "cgleak-test"),
        (e: unknown) =>
          e instanceof TracefsUnavailable && e.message === "this kernel has no tracefs (/proc/filesystems lists none)",
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
);
