import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyFixture, runCli } from "../testing/fixtures.js";

interface Case {
  name: string;
  fixture: string;
  file: string;
  /** New content, or null to delete the file. */
  text: string | null;
  message: string;
}

const V1 = "hybrid-v1-memory";
const V2 = "v2-debian-6.12-kubepods";
const EL7 = "centos7-v1-near-cap";
const MEM = "sys/fs/cgroup/memory";

const CASES: Case[] = [
  { name: "/proc/cgroups line with 3 fields", fixture: V1, file: "proc/cgroups", text: "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t4\t13\n", message: 'Cannot parse /proc/cgroups line 2: expected 4 fields, found 3 (got "memory\\t4\\t13")' },
  { name: "/proc/cgroups count not a number", fixture: V1, file: "proc/cgroups", text: "memory\t4\tlots\t1\n", message: 'Cannot parse /proc/cgroups line 1: expected a whole number for num_cgroups, found "lots" (got "memory\\t4\\tlots\\t1")' },
  { name: "/proc/cgroups empty", fixture: V1, file: "proc/cgroups", text: "", message: "Cannot parse /proc/cgroups: expected at least one controller line, found none" },
  { name: "/proc/cgroups without a memory line", fixture: V1, file: "proc/cgroups", text: "cpu\t1\t1\t1\n", message: "Cannot read /proc/cgroups: the kernel has no memory controller line" },
  { name: "mountinfo line cut short", fixture: V1, file: "proc/1/mountinfo", text: "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup\n", message: 'Cannot parse /proc/1/mountinfo line 1: expected "id parent maj:min root mountpoint options ... - fstype source superoptions" (got "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup")' },
  { name: "osrelease empty", fixture: V1, file: "proc/sys/kernel/osrelease", text: "\n", message: 'Cannot parse /proc/sys/kernel/osrelease line 1: expected one kernel release string (got "")' },
  { name: "no /proc at all", fixture: V1, file: "proc/sys/kernel/osrelease", text: null, message: "Cannot read /proc/sys/kernel/osrelease: no such file" },
  { name: "meminfo value missing", fixture: V1, file: "proc/meminfo", text: "MemTotal:       24683620 kB\nPercpu:\n", message: 'Cannot parse /proc/meminfo line 2: expected "Name: value [kB]" (got "Percpu:")' },
  { name: "v1 memory.stat value not a number", fixture: V1, file: `${MEM}/workload/memory.stat`, text: "cache 0\ntotal_cache 3.5M\n", message: 'Cannot parse /sys/fs/cgroup/memory/workload/memory.stat line 2: expected a whole number for total_cache (got "total_cache 3.5M")' },
  { name: "v2 root cgroup.stat without nr_dying_descendants", fixture: V2, file: "sys/fs/cgroup/cgroup.stat", text: "nr_descendants 100\n", message: 'Cannot parse /sys/fs/cgroup/cgroup.stat: expected a "nr_dying_descendants" line, found none' },
  { name: "v2 cgroup.stat line with three fields", fixture: V2, file: "sys/fs/cgroup/cgroup.stat", text: "nr_descendants 100 7\nnr_dying_descendants 1\n", message: 'Cannot parse /sys/fs/cgroup/cgroup.stat line 1: expected "key value", found 3 fields (got "nr_descendants 100 7")' },
  { name: "v2 cgroup.events without populated", fixture: V2, file: "sys/fs/cgroup/system.slice/cgroup.events", text: "frozen 0\n", message: 'Cannot parse /sys/fs/cgroup/system.slice/cgroup.events: expected a "populated" line, found none' },
  { name: "v1 kmem usage garbage on a 3.10 kernel", fixture: EL7, file: `${MEM}/system.slice/sshd.service/memory.kmem.usage_in_bytes`, text: "n/a\n", message: 'Cannot parse /sys/fs/cgroup/memory/system.slice/sshd.service/memory.kmem.usage_in_bytes line 1: expected a whole number (got "n/a")' },
];

for (const c of CASES) {
  test(`scan reports a malformed input in one line: ${c.name}`, () => {
    const root = copyFixture(c.fixture);
    try {
      const p = path.join(root, c.file);
      if (c.text === null) fs.rmSync(p);
      else fs.writeFileSync(p, c.text);
      const r = runCli(["scan", "--host-root", root]);
      assert.equal(r.status, 1);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `cgleak: ${c.message}\n`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
}
