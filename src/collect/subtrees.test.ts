import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { Host } from "../host/host.js";
import { tempHost } from "../testing/fixtures.js";
import { collectMemcg } from "./memcg.js";
import { childrenAreSubtreeRoots, isSubtreeRoot, subtreeOf } from "./subtrees.js";
import { walkCgroupDirs, type WalkEntry } from "../host/walk.js";

test("subtree roots: top-level directories and the children of a top-level kubepods*", () => {
  assert.equal(isSubtreeRoot(""), false);
  assert.equal(isSubtreeRoot("system.slice"), true);
  assert.equal(isSubtreeRoot("system.slice/sshd.service"), false);
  assert.equal(isSubtreeRoot("kubepods.slice/kubepods-burstable.slice"), true);
  assert.equal(isSubtreeRoot("kubepods/burstable/pod1"), false);
  assert.equal(childrenAreSubtreeRoots(""), true);
  assert.equal(childrenAreSubtreeRoots("kubepods"), true);
  assert.equal(childrenAreSubtreeRoots("kubepods/burstable"), false);
  assert.equal(childrenAreSubtreeRoots("system.slice"), false);
  assert.equal(subtreeOf("kubepods/burstable/pod1/c1"), "kubepods/burstable");
  assert.equal(subtreeOf("system.slice/a/b"), "system.slice");
});

const MEMCG = "sys/fs/cgroup/memory";
const V1 = { version: 1, mountPoint: "/sys/fs/cgroup/memory", root: "/", controllers: ["memory"] } as const;
const SHALLOW = { perMemcg: { empty: false, kmem: false, upTo: 0 }, now: 0, emptyMinAgeMs: 0 };
const stat = (cache: number, total: number): string => `cache ${cache}\nrss 0\ntotal_cache ${total}\ntotal_rss 0\n`;

/** A v1 tree with pods under QoS classes, a Guaranteed pod, nested services, and 2 dying memcgs. */
function kubeHost(): string {
  const dirs = [
    "kubepods/burstable/podA/c1",
    "kubepods/burstable/podA/c2",
    "kubepods/besteffort/podB/c1",
    "kubepods/podG/c1",
    "system.slice/a.service",
    "system.slice/b.service/x",
    "user.slice",
  ];
  return tempHost({
    "proc/cgroups": "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t4\t18\t1\n",
    ...Object.fromEntries(dirs.map((d) => [`${MEMCG}/${d}/`, ""])),
    [`${MEMCG}/memory.stat`]: stat(0, 9000),
    [`${MEMCG}/kubepods/memory.stat`]: stat(0, 7000),
    [`${MEMCG}/kubepods/burstable/memory.stat`]: stat(100, 5100),
    [`${MEMCG}/kubepods/burstable/podA/memory.stat`]: stat(0, 3000),
    [`${MEMCG}/kubepods/burstable/podA/c1/memory.stat`]: stat(1000, 1000),
    [`${MEMCG}/kubepods/burstable/podA/c2/memory.stat`]: stat(1500, 1500),
    [`${MEMCG}/system.slice/memory.stat`]: stat(0, 2000),
    [`${MEMCG}/kubepods/besteffort/memory.stat`]: stat(1000, 1000),
    [`${MEMCG}/kubepods/podG/memory.stat`]: stat(900, 900),
    [`${MEMCG}/system.slice/a.service/memory.stat`]: stat(500, 500),
    [`${MEMCG}/system.slice/b.service/memory.stat`]: stat(1500, 1500),
  });
}

/** Runs `fn` on a fresh kubeHost() tree, removed afterwards even when `fn` fails. */
function withKubeHost(fn: (dir: string) => void): void {
  const dir = kubeHost();
  try {
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}

test("collectMemcg counts each subtree's memcgs and subtracts each subtree root's live children", () => {
  withKubeHost((dir) => {
    const m = collectMemcg(new Host(dir), { ...V1, controllers: [...V1.controllers] }, SHALLOW);
    const by = Object.fromEntries(m.subtrees.map((s) => [s.path, s]));
    assert.equal(m.live, 16);
    assert.equal(m.dying, 2);
    assert.equal(by["kubepods/burstable"]?.live, 4);
    assert.equal(by["kubepods/besteffort"]?.live, 3);
    assert.equal(by["kubepods/podG"]?.live, 2);
    assert.equal(by["kubepods"]?.live, 10, "kubepods itself and its QoS subtrees");
    assert.equal(by["system.slice"]?.live, 4);
    assert.equal(by["user.slice"]?.live, 1);
    // burstable: 5100 hierarchical - 100 own - 3000 in podA = 2000 pinned by its dying pods;
    // podA, a live pod: 3000 - 1000 in c1 - 1500 in c2 = 500 pinned by its dying containers.
    assert.equal(by["kubepods/burstable"]?.pinnedBytes, 2500);
    assert.deepEqual(m.pins.map((p) => [p.path, p.fileBytes]).sort(), [
      ["kubepods/burstable", 2000],
      ["kubepods/burstable/podA", 500],
    ]);
    assert.equal(by["system.slice"]?.pinnedBytes, 0);
  });
});

test("with no dying memcg nothing is pinned, and no child's memory.stat is read", () => {
  withKubeHost((dir) => {
    fs.writeFileSync(`${dir}/proc/cgroups`, "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t4\t16\t1\n");
    fs.writeFileSync(`${dir}/${MEMCG}/kubepods/burstable/podA/memory.stat`, "not a memory.stat\n");
    const m = collectMemcg(new Host(dir), { ...V1, controllers: [...V1.controllers] }, SHALLOW);
    assert.equal(m.dying, 0);
    assert.deepEqual(
      m.subtrees.map((s) => s.pinnedBytes).filter((b) => b !== 0),
      [],
    );
  });
});

test("a subtree with nothing charged below itself pins nothing, and its children's memory.stat is not read", () => {
  withKubeHost((dir) => {
    fs.writeFileSync(`${dir}/${MEMCG}/system.slice/memory.stat`, stat(2000, 2000));
    fs.writeFileSync(`${dir}/${MEMCG}/system.slice/a.service/memory.stat`, "not a memory.stat\n");
    const m = collectMemcg(new Host(dir), { ...V1, controllers: [...V1.controllers] }, SHALLOW);
    assert.equal(m.dying, 2);
    assert.equal(m.subtrees.find((s) => s.path === "system.slice")?.pinnedBytes, 0);
    assert.equal(m.subtrees.find((s) => s.path === "kubepods/burstable")?.pinnedBytes, 2500);
  });
});

test("walkCgroupDirs visits parents before children, siblings together, and gives back the working directory", () => {
  const cwd = process.cwd();
  withKubeHost((dir) => {
    const seen: WalkEntry[] = [];
    const stats = walkCgroupDirs(`${dir}/${MEMCG}`, (e) => seen.push(e));
    assert.equal(process.cwd(), cwd);
    assert.equal(stats.dirs, 16);
    const index = new Map(seen.map((e, i) => [e.rel, i]));
    for (const e of seen) {
      if (e.parent === null) continue;
      assert.ok((index.get(e.parent.rel) as number) < (index.get(e.rel) as number), `${e.parent.rel} before ${e.rel}`);
    }
    const parents = seen.map((e) => e.parent?.rel ?? null);
    const runs = parents.filter((p, i) => i === 0 || p !== parents[i - 1]);
    assert.equal(new Set(runs).size, runs.length, "the children of one directory come one after another");
  });
});

test("walkCgroupDirs gives back the working directory when visit throws", () => {
  const cwd = process.cwd();
  withKubeHost((dir) => {
    assert.throws(
      () =>
        walkCgroupDirs(`${dir}/${MEMCG}`, (e) => {
          if (e.depth === 2) throw new Error("stop");
        }),
      /stop/,
    );
    assert.equal(process.cwd(), cwd);
  });
});

test("walkCgroupDirs in a worker thread, which cannot change directory, walks with absolute paths", async () => {
  const dir = kubeHost();
  try {
    const walk = new URL("../host/walk.js", import.meta.url).href;
    const code = `import { walkCgroupDirs } from ${JSON.stringify(walk)}; import { parentPort, workerData } from "node:worker_threads";
      parentPort.postMessage(walkCgroupDirs(workerData, () => {}));`;
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), {
      workerData: `${dir}/${MEMCG}`,
    });
    const [stats] = (await once(w, "message")) as [{ dirs: number; vanished: number }];
    await w.terminate();
    assert.equal(stats.dirs, 16);
    assert.equal(stats.vanished, 0);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});
