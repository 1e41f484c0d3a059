import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyFixture, runCli, TESTDATA } from "../testing/fixtures.js";

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
  {
    name: "/proc/cgroups line with 3 fields",
    fixture: V1,
    file: "proc/cgroups",
    text: "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t4\t13\n",
    message: 'Cannot parse /proc/cgroups line 2: expected 4 fields, found 3 (got "memory\\t4\\t13")',
  },
  {
    name: "/proc/cgroups count not a number",
    fixture: V1,
    file: "proc/cgroups",
    text: "memory\t4\tlots\t1\n",
    message:
      'Cannot parse /proc/cgroups line 1: expected a whole number for num_cgroups, found "lots" (got "memory\\t4\\tlots\\t1")',
  },
  {
    name: "/proc/cgroups empty",
    fixture: V1,
    file: "proc/cgroups",
    text: "",
    message: "Cannot parse /proc/cgroups: expected at least one controller line, found none",
  },
  {
    name: "/proc/cgroups without a memory line",
    fixture: V1,
    file: "proc/cgroups",
    text: "cpu\t1\t1\t1\n",
    message: "Cannot read /proc/cgroups: the kernel has no memory controller line",
  },
  {
    name: "mountinfo line cut short",
    fixture: V1,
    file: "proc/1/mountinfo",
    text: "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup\n",
    message:
      'Cannot parse /proc/1/mountinfo line 1: expected "id parent maj:min root mountpoint options ... - fstype source superoptions" (got "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup")',
  },
  {
    name: "osrelease empty",
    fixture: V1,
    file: "proc/sys/kernel/osrelease",
    text: "\n",
    message: 'Cannot parse /proc/sys/kernel/osrelease line 1: expected one kernel release string (got "")',
  },
  {
    name: "no /proc at all",
    fixture: V1,
    file: "proc/sys/kernel/osrelease",
    text: null,
    message: "Cannot read /proc/sys/kernel/osrelease: no such file",
  },
  {
    name: "meminfo value missing",
    fixture: V1,
    file: "proc/meminfo",
    text: "MemTotal:       24683620 kB\nPercpu:\n",
    message: 'Cannot parse /proc/meminfo line 2: expected "Name: value [kB]" (got "Percpu:")',
  },
  {
    name: "v1 memory.stat value not a number",
    fixture: V1,
    file: `${MEM}/workload/memory.stat`,
    text: "cache 0\ntotal_cache 3.5M\n",
    message:
      'Cannot parse /sys/fs/cgroup/memory/workload/memory.stat line 2: expected a whole number for total_cache, found "3.5M" (got "total_cache 3.5M")',
  },
  {
    name: "v2 root cgroup.stat without nr_dying_descendants",
    fixture: V2,
    file: "sys/fs/cgroup/cgroup.stat",
    text: "nr_descendants 100\n",
    message: 'Cannot parse /sys/fs/cgroup/cgroup.stat: expected a "nr_dying_descendants" line, found none',
  },
  {
    name: "v2 cgroup.stat line with three fields",
    fixture: V2,
    file: "sys/fs/cgroup/cgroup.stat",
    text: "nr_descendants 100 7\nnr_dying_descendants 1\n",
    message:
      'Cannot parse /sys/fs/cgroup/cgroup.stat line 1: expected "key value", found 3 fields (got "nr_descendants 100 7")',
  },
  {
    name: "v2 cgroup.events without populated",
    fixture: V2,
    file: "sys/fs/cgroup/system.slice/cgroup.events",
    text: "frozen 0\n",
    message: 'Cannot parse /sys/fs/cgroup/system.slice/cgroup.events: expected a "populated" line, found none',
  },
  {
    name: "v1 kmem usage garbage on a 3.10 kernel",
    fixture: EL7,
    file: `${MEM}/system.slice/sshd.service/memory.kmem.usage_in_bytes`,
    text: "n/a\n",
    message:
      'Cannot parse /sys/fs/cgroup/memory/system.slice/sshd.service/memory.kmem.usage_in_bytes line 1: expected a whole number for the value, found "n/a" (got "n/a")',
  },
  // Sanity bounds: figures no kernel produces are errors, never facts (issue 20 item 6).
  ...boundCases(),
];

function boundCases(): Case[] {
  const el7 = (n: string): string =>
    fs
      .readFileSync(path.join(TESTDATA, "hosts", EL7, "proc/cgroups"), "utf8")
      .replace("memory\t8\t65530\t1", `memory\t8\t${n}\t1`);
  const v1 = (n: string): string =>
    fs
      .readFileSync(path.join(TESTDATA, "hosts", V1, "proc/cgroups"), "utf8")
      .replace("memory\t4\t13\t1", `memory\t4\t${n}\t1`);
  const v2Stat = fs.readFileSync(path.join(TESTDATA, "hosts", V2, "sys/fs/cgroup/cgroup.stat"), "utf8");
  const held =
    "memory cgroups is more than this kernel can hold: its dying memcgs keep their IDs, and there are 65,535";
  return [
    {
      name: "10^12 memcgs where dying ones hold IDs",
      fixture: EL7,
      file: "proc/cgroups",
      text: el7("1000000000000"),
      message: `Cannot parse /proc/cgroups line 5: 1,000,000,000,000 ${held}`,
    },
    {
      name: "70,000 memcgs where dying ones hold IDs",
      fixture: EL7,
      file: "proc/cgroups",
      text: el7("70000"),
      message: `Cannot parse /proc/cgroups line 5: 70,000 ${held}`,
    },
    {
      name: "a negative count",
      fixture: V1,
      file: "proc/cgroups",
      text: v1("-19"),
      message:
        'Cannot parse /proc/cgroups line 6: expected a count of zero or more for num_cgroups, found "-19" (got "memory\\t4\\t-19\\t1")',
    },
    {
      name: "a count past 2^53",
      fixture: V1,
      file: "proc/cgroups",
      text: v1("9007199254740993"),
      message:
        'Cannot parse /proc/cgroups line 6: num_cgroups is past 2^53, more than any kernel counter holds here (got "memory\\t4\\t9007199254740993\\t1")',
    },
    {
      name: "a count in exponent form",
      fixture: V1,
      file: "proc/cgroups",
      text: v1("1e+23"),
      message:
        'Cannot parse /proc/cgroups line 6: expected a whole number for num_cgroups, found "1e+23" (got "memory\\t4\\t1e+23\\t1")',
    },
    {
      name: "a second memory line",
      fixture: V1,
      file: "proc/cgroups",
      text: v1("13") + "memory\t4\t99999\t1\n",
      message:
        'Cannot parse /proc/cgroups line 14: a second line for the memory controller (got "memory\\t4\\t99999\\t1")',
    },
    {
      name: "a kernel total below the live memcgs",
      fixture: V1,
      file: "proc/cgroups",
      text: v1("1"),
      message:
        "Cannot parse /proc/cgroups line 6: num_cgroups 1 is below the 5 memory cgroups under /sys/fs/cgroup/memory, and the kernel counts every one of them",
    },
    {
      name: "v2 nr_subsys_memory below the live memcgs",
      fixture: V2,
      file: "sys/fs/cgroup/cgroup.stat",
      text: v2Stat.replace("nr_subsys_memory 32", "nr_subsys_memory 3"),
      message:
        "Cannot parse /sys/fs/cgroup/cgroup.stat: nr_subsys_memory 3 is below the 32 memory cgroups under /sys/fs/cgroup, and the kernel counts every one of them",
    },
    {
      name: "v2 cgroup.stat with a key twice",
      fixture: V2,
      file: "sys/fs/cgroup/cgroup.stat",
      text: v2Stat + "nr_dying_subsys_memory 0\n",
      message:
        'Cannot parse /sys/fs/cgroup/cgroup.stat line 21: "nr_dying_subsys_memory" appears twice (got "nr_dying_subsys_memory 0")',
    },
    {
      name: "v2 cgroup.stat with a negative dying count",
      fixture: V2,
      file: "sys/fs/cgroup/cgroup.stat",
      text: v2Stat.replace("nr_dying_subsys_memory 19", "nr_dying_subsys_memory -19"),
      message:
        'Cannot parse /sys/fs/cgroup/cgroup.stat line 15: expected a count of zero or more for nr_dying_subsys_memory, found "-19" (got "nr_dying_subsys_memory -19")',
    },
    {
      name: "v1 memory.stat without total_cache (not read as 0)",
      fixture: V1,
      file: `${MEM}/memory.stat`,
      text: "cache 9605120\nrss 0\n",
      message: 'Cannot parse /sys/fs/cgroup/memory/memory.stat: expected a "total_cache" line, found none',
    },
    {
      name: "meminfo with a field twice",
      fixture: V1,
      file: "proc/meminfo",
      text: "MemTotal: 1 kB\nSwapTotal: 0 kB\nSwapTotal: 8 kB\n",
      message: 'Cannot parse /proc/meminfo line 3: "SwapTotal" appears twice (got "SwapTotal: 8 kB")',
    },
  ];
}

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
