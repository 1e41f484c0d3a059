import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../scan.js";
import type { ScanReport } from "../analyze/report.js";
import {
  MEMCG_V1,
  needsRootMemcgV1,
  removeCgroupTree,
  runInCgroup,
  syncAndDropCaches,
  uniqueName,
} from "../testing/kernel.js";
import { sleepMs } from "../actions/rmdir.js";

/**
 * Dying memcgs at depths 1-3, under a live pod and under a dying pod, pinning page cache, tmpfs
 * (shmem) or both: the scan must find each amount at the nearest live memcg, exact to the page.
 * The expected bytes are each memcg's own memory.stat, read after its writer left and before it
 * was removed.
 */
const skip = needsRootMemcgV1();
const NAME = uniqueName("pins");
const T = path.join(MEMCG_V1, NAME);
const DISK = fs.mkdtempSync(path.join(os.tmpdir(), `${NAME}-`));
const SHM = `/dev/shm/${NAME}`;
const POD_L = "pod0a1b2c3d-1111-2222-3333-444455556666";
const POD_D = "pod9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff";
const KIB = 1024;

let mapper: ChildProcess | undefined;

after(() => {
  mapper?.kill("SIGKILL");
  fs.rmSync(DISK, { recursive: true, force: true });
  fs.rmSync(SHM, { recursive: true, force: true });
  if (skip) return;
  syncAndDropCaches();
  removeCgroupTree(T);
});

interface Held {
  file: number;
  shmem: number;
  anon: number;
}

/** A memcg's hierarchical charge by kind, as its own memory.stat says. */
function held(rel: string): Held {
  const kv = new Map(
    fs
      .readFileSync(path.join(T, rel, "memory.stat"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" ") as [string, string]),
  );
  return {
    file: Number(kv.get("total_cache")),
    shmem: Number(kv.get("total_shmem")),
    anon: Number(kv.get("total_rss")),
  };
}

/** Runs the writes in a child that joins `rel`, then moves to T so `rel` can be removed. */
function write(rel: string, script: string): void {
  fs.mkdirSync(path.join(T, rel), { recursive: true });
  runInCgroup(path.join(T, rel), `${script} && echo $$ > ${T}/cgroup.procs`);
}

const dd = (file: string, kib: number): string =>
  `dd if=/dev/zero of=${file} bs=${kib * KIB} count=1 conv=notrunc 2>/dev/null`;

/** Files on ext4 made beforehand without page cache (O_DIRECT), so writers are charged for data pages only. */
function precreate(names: string[], kib: number): void {
  for (const n of names) {
    const r = spawnSync("dd", ["if=/dev/zero", `of=${DISK}/${n}`, `bs=${kib * KIB}`, "count=1", "oflag=direct"]);
    assert.equal(r.status, 0);
  }
  spawnSync("sync");
}

/** The memcg stats are flushed every 2 s (mm/memcontrol.c FLUSH_TIME): wait for one flush. */
function settle(): void {
  sleepMs(2500);
}

/**
 * Other tests on this machine drop the page cache at any time (drop_caches), which would free the
 * ext4 pages under test. drop_caches leaves mapped pages alone, so a helper (outside the test
 * cgroups: the pages stay charged to the memcgs that wrote them) maps and touches every page.
 */
async function mapPages(files: string[]): Promise<void> {
  const py =
    "import mmap,sys,time\nfs=[open(f,'rb') for f in sys.argv[1:]]\nms=[mmap.mmap(x.fileno(),0,prot=mmap.PROT_READ) for x in fs]\nn=sum(m[i] for m in ms for i in range(0,len(m),4096))\nprint('mapped',flush=True)\ntime.sleep(900)";
  mapper = spawn("python3", ["-c", py, ...files], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = once(mapper, "exit").then(() => [Buffer.from("the mapper exited")]);
  const [line] = (await Promise.race([once(mapper.stdout!, "data"), exited])) as [Buffer];
  assert.match(line.toString(), /mapped/);
}

const sum = (hs: Held[]): Held =>
  hs.reduce((a, b) => ({ file: a.file + b.file, shmem: a.shmem + b.shmem, anon: a.anon + b.anon }), {
    file: 0,
    shmem: 0,
    anon: 0,
  });
const scan = (): ScanReport =>
  runScan(new Host("/"), { thresholds: DEFAULT_THRESHOLDS, deep: false, emptyMinAgeMs: 0 });

test(
  "pins at every depth on the real kernel: depths 1-3, a live pod's dying container, a dying pod; page cache, tmpfs and both, exact to the page",
  { skip },
  async () => {
    fs.mkdirSync(T);
    fs.mkdirSync(SHM);
    precreate(["d1", "d2", "d3", "live", "mixed"], 1024);
    // Run the writers' binaries once outside, so none is charged for sh's or dd's own pages.
    spawnSync("sh", ["-c", `${dd("/dev/null", 4)}`]);
    write("d1", dd(`${DISK}/d1`, 1024));
    write("a/d2", dd(`${DISK}/d2`, 1024));
    write("a/b/d3", dd(`${DISK}/d3`, 1024));
    write(`kube/${POD_L}/c1`, dd(`${DISK}/live`, 512)); // stays live: its pages are its own, not pins
    write(`kube/${POD_L}/c2`, dd(`${SHM}/c2`, 768)); // tmpfs: shmem
    write(`kube/${POD_D}/cA`, `${dd(`${DISK}/mixed`, 256)} && ${dd(`${SHM}/cA`, 256)}`);
    await mapPages(["d1", "d2", "d3", "live", "mixed"].map((n) => `${DISK}/${n}`));
    settle();
    const dying = ["d1", "a/d2", "a/b/d3", `kube/${POD_L}/c2`, `kube/${POD_D}/cA`, `kube/${POD_D}`];
    const expected = new Map<string, Held>([
      ["", held("d1")],
      ["a", held("a/d2")],
      ["a/b", held("a/b/d3")],
      [`kube/${POD_L}`, held(`kube/${POD_L}/c2`)],
      ["kube", held(`kube/${POD_D}`)], // the dying pod with its dying container
    ]);
    for (const rel of dying) fs.rmdirSync(path.join(T, rel));
    settle();
    const r = scan();
    const ours = (r.dying.pins ?? []).filter((p) => p.subtree === NAME);
    const got = new Map(
      ours.map((p) => [
        p.path === NAME ? "" : p.path.slice(NAME.length + 1),
        { file: p.fileBytes, shmem: p.shmemBytes, anon: p.anonBytes },
      ]),
    );
    assert.deepEqual(got, expected);
    // What the writers wrote, to the page: 1 MiB at each depth, 768 KiB of tmpfs, 256 + 256 KiB mixed.
    assert.deepEqual(
      [...expected.values()].map((h) => [h.file, h.shmem]),
      [
        [1024 * KIB, 0],
        [1024 * KIB, 0],
        [1024 * KIB, 0],
        [768 * KIB, 768 * KIB],
        [512 * KIB, 256 * KIB],
      ],
    );
    assert.equal(ours.find((p) => p.path.endsWith(POD_L))?.podUid, POD_L.slice(3));
    const sub = r.subtrees.find((s) => s.path === NAME);
    assert.equal(sub?.pinnedBytes, sum([...expected.values()]).file);
    assert.equal(sub?.pinned?.shmemBytes, sum([...expected.values()]).shmem);
  },
);
