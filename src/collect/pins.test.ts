import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Host } from "../host/host.js";
import { tempHost } from "../testing/fixtures.js";
import { collectMemcg } from "./memcg.js";
import { podUidOf } from "./pins.js";

const MEMCG = "sys/fs/cgroup/memory";
const V1 = { version: 1 as const, mountPoint: "/sys/fs/cgroup/memory", root: "/", controllers: ["memory"] };
const SHALLOW = { perMemcg: { empty: false, kmem: false, upTo: 0 }, now: 0, emptyMinAgeMs: 0 };
const stat = (own: number, total: number, shmem = 0): string =>
  `cache ${own}\nshmem 0\nrss 0\ntotal_cache ${total}\ntotal_shmem ${shmem}\ntotal_rss 0\n`;

test("the pin descent reads the newest children first and stops once they explain the charge", () => {
  const kids = Array.from({ length: 10 }, (_, i) => `svc/c${i}`);
  const dir = tempHost({
    "proc/cgroups": "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t4\t14\t1\n",
    [`${MEMCG}/memory.stat`]: stat(0, 1000, 400),
    [`${MEMCG}/svc/memory.stat`]: stat(0, 1000, 400),
    // Unread: a bad file here would throw.
    ...Object.fromEntries(kids.map((k) => [`${MEMCG}/${k}/memory.stat`, "not a memory.stat\n"])),
    // A pod whose container was removed: its mtime moved, and its dying container holds it all.
    [`${MEMCG}/svc/c7/memory.stat`]: stat(0, 1000, 400),
  });
  try {
    const old = new Date(Date.now() - 3600_000);
    for (const k of kids) fs.utimesSync(`${dir}/${MEMCG}/${k}`, old, old);
    fs.utimesSync(`${dir}/${MEMCG}/svc/c7`, new Date(), new Date());
    const m = collectMemcg(new Host(dir), V1, SHALLOW);
    assert.equal(m.dying, 2);
    assert.deepEqual(
      m.pins.map((p) => [p.path, p.fileBytes, p.shmemBytes]),
      [["svc/c7", 1000, 400]],
    );
    assert.equal(m.pinReads, 3, "the root, svc and c7: not svc's other nine children");
    assert.equal(m.subtrees.find((s) => s.path === "svc")?.pinned?.shmemBytes, 400);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("pod UIDs from kubelet's cgroupfs and systemd paths", () => {
  assert.equal(
    podUidOf("kubepods/burstable/pod0a1b2c3d-1111-2222-3333-444455556666"),
    "0a1b2c3d-1111-2222-3333-444455556666",
  );
  assert.equal(
    podUidOf(
      "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a1b2c3d_1111_2222_3333_444455556666.slice",
    ),
    "0a1b2c3d-1111-2222-3333-444455556666",
  );
  assert.equal(podUidOf("system.slice/sshd.service"), null);
});
