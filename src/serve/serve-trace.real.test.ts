import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import {
  MEMCG_V1,
  needsRootMemcgV1,
  removeCgroupTree,
  runInCgroup,
  syncAndDropCaches,
  uniqueName,
} from "../testing/kernel.js";
import { CLI } from "../testing/fixtures.js";
import { startServe, getText, metricValue, waitFor } from "../testing/serve.js";

const skip = needsRootMemcgV1();
const NAME = uniqueName("serve-trace");
const P = path.join(MEMCG_V1, NAME);
const FILES = fs.mkdtempSync(path.join(os.tmpdir(), `${NAME}-`));

after(() => {
  fs.rmSync(FILES, { recursive: true, force: true });
  if (skip) return;
  syncAndDropCaches(); // frees the memcg the file's page cache pinned
  removeCgroupTree(P);
});

const dying = async (url: string): Promise<any> => JSON.parse((await getText(`${url}/api/dying`)).text);
const paths = (d: any): string[] => d.groups.flatMap((g: any) => g.cgroups.map((c: any) => c.path));
const lifetimes = async (url: string): Promise<number> =>
  metricValue((await getText(`${url}/metrics`)).text, "cgleak_memcg_dying_lifetime_seconds_count") ?? NaN;

/** The tracefs mount points and this daemon's instance, from the mount table and its own pid. */
function instanceOf(pid: number): string[] {
  const mounts = fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => / - tracefs /.test(l))
    .map((l) => l.split(" ")[4] as string);
  return mounts.flatMap((m) => {
    try {
      return fs
        .readdirSync(path.join(m, "instances"))
        .filter((i) => i.startsWith(`cgleak-${pid}-`))
        .map((i) => path.join(m, "instances", i));
    } catch {
      return [];
    }
  });
}

test(
  "serve --trace names a pinned test memcg in /api/dying, counts an empty one's release in the lifetime histogram, keeps the set across a restart, and leaves no tracefs instance after SIGTERM",
  { skip, timeout: 60_000 },
  async () => {
    const db = path.join(FILES, "cgleak.db");
    const args = ["--trace", "--db", db, "--interval", "500ms"];
    fs.mkdirSync(P);
    const pinned = `/${NAME}/pinned`;
    const empty = `/${NAME}/empty`;
    const s = await startServe(args);
    const pid = s.proc.pid as number;
    let stopped = false;
    let mount = "";
    try {
      const inst = instanceOf(pid);
      assert.equal(inst.length, 1, "one private instance while tracing");
      mount = path.dirname(path.dirname(inst[0] as string));
      const before = await lifetimes(s.url);
      fs.mkdirSync(MEMCG_V1 + pinned);
      fs.mkdirSync(MEMCG_V1 + empty);
      runInCgroup(MEMCG_V1 + pinned, `head -c 262144 /dev/zero > ${FILES}/pinned-file`);
      fs.rmdirSync(MEMCG_V1 + pinned);
      fs.rmdirSync(MEMCG_V1 + empty);
      const d = await waitFor("the pinned memcg named", 5000, async () => {
        const x = await dying(s.url);
        return paths(x).includes(pinned) ? x : undefined;
      });
      // An empty memcg is released asynchronously, ~40 ms after its rmdir here (longer on a busy node).
      const released = await waitFor("the empty memcg released", 5000, async () => {
        const x = await dying(s.url);
        return paths(x).includes(empty) ? undefined : x;
      });
      assert.equal(paths(released).includes(empty), false, "an empty memcg is released, not dying");
      const g = d.groups.find((x: any) => x.workload === `/${NAME}`);
      assert.ok(g.cgroups.find((c: any) => c.path === pinned).ageSeconds < 10);
      assert.ok(
        d.kernelDying === null ||
          d.dyingSinceBeforeTracing === d.kernelDying - d.named ||
          d.dyingSinceBeforeTracing === null,
      );
      // Metrics move with the tick after the release; other engineers' memcgs may add to the count.
      const n = await waitFor("a lifetime observed", 5000, async () =>
        (await lifetimes(s.url)) >= before + 1 ? lifetimes(s.url) : undefined,
      );
      assert.ok(n >= before + 1);
    } finally {
      const { code, ms } = await s.stop();
      stopped = code === 0;
      assert.ok(ms < 2000, `stopped in ${ms} ms`);
    }
    assert.ok(stopped, s.stderr());
    assert.deepEqual(instanceOf(pid), [], "the instance is removed on SIGTERM");
    if (path.basename(mount).startsWith("cgleak-tracefs-")) {
      // tracefs was not mounted: the daemon mounted its own, and must unmount it too.
      assert.equal(
        fs.readFileSync("/proc/self/mountinfo", "utf8").includes(` ${mount} `),
        false,
        `${mount} still mounted`,
      );
    }
    const again = await startServe(args);
    try {
      assert.ok(paths(await dying(again.url)).includes(pinned), `restored from the store:\n${again.stderr()}`);
      assert.match(again.stderr(), /trace: restored \d+ dying memcgs/);
    } finally {
      await again.stop();
    }
  },
);

test(
  "serve --trace as a non-root user: one line, exit 2",
  { skip: process.getuid?.() !== 0 ? "needs root to run the CLI as another user" : false },
  () => {
    const r = spawnSync(process.execPath, [CLI, "serve", "--trace", "--db", ":memory:"], {
      encoding: "utf8",
      uid: 65534,
      gid: 65534,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(
      r.stderr,
      "cgleak serve: --trace needs root: it creates a tracefs instance for the cgroup tracepoints\n",
    );
  },
);
