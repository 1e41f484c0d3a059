import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Host } from "../host/host.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { DEFAULT_POLICY } from "./reap-policy.js";
import { LimitJournal } from "./reap-state.js";
import { Reaper } from "./reap-loop.js";
import type { ReapContext } from "./reap.js";

const M = "sys/fs/cgroup/memory";
const stat = (o: Record<string, number>): string =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v}`)
    .join("\n") + "\n";
const PSI = (avg10: number): string =>
  `some avg10=${avg10.toFixed(2)} avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n`;

/** A v1 host whose only pins are 5 MB of tmpfs below `pods`, with 2,000 dying memcgs. */
function shmemHost(ioAvg10: number): Host {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-reaploop-"));
  const files: Record<string, string> = {
    "proc/cgroups": "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t4\t2003\t1\n",
    "proc/pressure/memory": PSI(0),
    "proc/pressure/io": PSI(ioAvg10),
    [`${M}/memory.stat`]: stat({ cache: 0, total_cache: 5_000_000, shmem: 0, total_shmem: 5_000_000 }),
    [`${M}/pods/memory.stat`]: stat({ cache: 0, total_cache: 5_000_000, shmem: 0, total_shmem: 5_000_000 }),
    [`${M}/pods/live/memory.stat`]: stat({ cache: 0, total_cache: 0, shmem: 0, total_shmem: 0 }),
  };
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  }
  return new Host(root);
}

function context(host: Host): ReapContext {
  const h: CgroupHierarchy = { version: 1, mountPoint: "/sys/fs/cgroup/memory", controllers: ["memory"], root: "/" };
  return {
    host,
    h,
    policy: { ...DEFAULT_POLICY, intervalMs: 1000, maxIntervalMs: 3000 },
    journal: new LimitJournal(path.join(host.root, "state.json")),
    dryRun: false,
    dyingHoldIds: false,
    kmemLeak: false,
    stuck: new Map(),
    observeMs: 0,
    under: "",
  };
}

test("passes that can free nothing (only tmpfs pins) back off, doubling the interval up to the maximum, and say why", async () => {
  const host = shmemHost(0);
  try {
    const r = new Reaper(context(host), { log: () => {} });
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await r.runOnce();
      assert.equal(p?.verdict, "nothing-to-do");
      assert.match(p.unreclaimable[0]?.reason ?? "", /^tmpfs\/shmem/);
      seen.push(r.totals.intervalMs);
    }
    assert.deepEqual(seen, [2000, 3000, 3000]);
    assert.equal(r.totals.passes["nothing-to-do"], 3);
  } finally {
    fs.rmSync(host.root, { recursive: true, force: true });
  }
});

test("I/O pressure above the threshold vetoes the pass before anything is written, and the interval is not stretched", async () => {
  const host = shmemHost(55);
  try {
    const lines: string[] = [];
    const r = new Reaper(context(host), { log: (l) => lines.push(l) });
    const p = await r.runOnce();
    await r.runOnce();
    assert.equal(p?.verdict, "vetoed");
    assert.match(p.reason, /I\/O pressure: \/proc\/pressure\/io some avg10=55 > 30/);
    assert.deepEqual([r.totals.intervalMs, r.totals.passes.vetoed], [1000, 2]);
    assert.equal(lines.length, 1, "one line for a run of vetoes");
  } finally {
    fs.rmSync(host.root, { recursive: true, force: true });
  }
});
