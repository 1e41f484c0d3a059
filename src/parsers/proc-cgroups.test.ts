import { test } from "node:test";
import assert from "node:assert/strict";
import { parseProcCgroups, memorySubsys } from "./proc-cgroups.js";

// Verbatim from this project's lab machine (kernel 6.18, v1 memory on hierarchy 4).
const LAB_V1 = `#subsys_name\thierarchy\tnum_cgroups\tenabled
cpuset\t3\t1\t1
cpu\t1\t1\t1
cpuacct\t2\t1\t1
blkio\t7\t1\t1
memory\t4\t13\t1
devices\t5\t1\t1
freezer\t6\t1\t1
net_cls\t0\t1\t1
perf_event\t0\t1\t1
net_prio\t0\t1\t1
hugetlb\t0\t1\t1
pids\t8\t1\t1
`;

test("parseProcCgroups() reads the memory line of a v1 host", () => {
  const mem = memorySubsys(parseProcCgroups(LAB_V1));
  assert.deepEqual(mem, { name: "memory", hierarchy: 4, numCgroups: 13, enabled: true, line: 6 });
});

test("parseProcCgroups() reads a v2 host, where every controller has hierarchy 0", () => {
  const v2 = "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t0\t201\t1\npids\t0\t201\t1\n";
  assert.deepEqual(memorySubsys(parseProcCgroups(v2)), {
    name: "memory",
    hierarchy: 0,
    numCgroups: 201,
    enabled: true,
    line: 2,
  });
});

test("parseProcCgroups() counts past the ID cap (dying memcgs on a modern kernel)", () => {
  assert.equal(memorySubsys(parseProcCgroups("memory\t4\t100012\t1\n"))?.numCgroups, 100012);
});

test("parseProcCgroups() rejects a line with 3 fields, naming file and line", () => {
  assert.throws(() => parseProcCgroups("#h\nmemory\t4\t13\n"), {
    message: 'Cannot parse /proc/cgroups line 2: expected 4 fields, found 3 (got "memory\\t4\\t13")',
  });
});

test("parseProcCgroups() rejects a count that is not a number", () => {
  assert.throws(
    () => parseProcCgroups("memory\t4\tmany\t1\n"),
    /line 1: expected a whole number for num_cgroups, found "many"/,
  );
});

test("parseProcCgroups() rejects an empty file", () => {
  assert.throws(
    () => parseProcCgroups("#subsys_name\thierarchy\tnum_cgroups\tenabled\n"),
    /expected at least one controller line/,
  );
});
