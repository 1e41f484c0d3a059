import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { copyFixture } from "./fixtures.js";

/**
 * The hostile-input corpus (issue 20): host trees that no kernel writes, each built from a
 * fixture host by one mutation. Every tree must make the shipped bin fail in one line naming the
 * file (and the line, where there is one), without a stack trace, a hang or a change to the tree.
 */
export interface HostileCase {
  name: string;
  base: Base;
  /** The host path the one-line error must name, and the line when the file has one. */
  file: string;
  line?: number;
  /** Also run `check --kured`: it must answer UNKNOWN (exit 2), never REBOOT. */
  kured?: boolean;
  mutate: (root: string) => void;
}

type Base = "hybrid-v1-memory" | "centos7-v1-near-cap" | "v2-debian-6.12-kubepods";
const V1: Base[] = ["hybrid-v1-memory", "centos7-v1-near-cap"];
const ALL: Base[] = [...V1, "v2-debian-6.12-kubepods"];
const MEM: Record<Base, string> = {
  "hybrid-v1-memory": "sys/fs/cgroup/memory",
  "centos7-v1-near-cap": "sys/fs/cgroup/memory",
  "v2-debian-6.12-kubepods": "sys/fs/cgroup",
};

const put =
  (rel: string, text: string | Buffer) =>
  (root: string): void => {
    const p = path.join(root, rel);
    fs.rmSync(p, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  };
const edit =
  (rel: string, fn: (text: string) => string) =>
  (root: string): void => {
    const p = path.join(root, rel);
    fs.writeFileSync(p, fn(fs.readFileSync(p, "utf8")));
  };
const fifo =
  (rel: string) =>
  (root: string): void => {
    fs.rmSync(path.join(root, rel), { recursive: true, force: true });
    if (spawnSync("mkfifo", [path.join(root, rel)]).status !== 0) throw new Error(`mkfifo ${rel}`);
  };
const link =
  (rel: string, to: string) =>
  (root: string): void => {
    fs.rmSync(path.join(root, rel), { recursive: true, force: true });
    fs.symlinkSync(to, path.join(root, rel));
  };
const dir =
  (rel: string) =>
  (root: string): void => {
    fs.rmSync(path.join(root, rel), { recursive: true, force: true });
    fs.mkdirSync(path.join(root, rel), { recursive: true });
  };
const gone =
  (rel: string) =>
  (root: string): void =>
    fs.rmSync(path.join(root, rel), { recursive: true, force: true });
const both =
  (...fs: Array<(root: string) => void>) =>
  (root: string): void =>
    fs.forEach((f) => f(root));

/** The memory line's number in each base's /proc/cgroups. */
const MEMORY_LINE: Partial<Record<Base, number>> = { "hybrid-v1-memory": 6, "centos7-v1-near-cap": 5 };
const setMemory = (n: string) =>
  edit("proc/cgroups", (t) => t.replace(/^memory\t(\d+)\t\d+\t1$/m, `memory\t$1\t${n}\t1`));

function kernelFileCases(b: Base, rel: string, hostPath: string): HostileCase[] {
  return [
    { name: "a FIFO", base: b, file: hostPath, mutate: fifo(rel) },
    { name: "a link to /dev/zero", base: b, file: hostPath, mutate: link(rel, "/dev/zero") },
    { name: "17 MiB", base: b, file: hostPath, mutate: put(rel, Buffer.alloc(17 * 1024 * 1024, "7")) },
    { name: "a directory", base: b, file: hostPath, mutate: dir(rel) },
  ].map((c) => ({ ...c, name: `${hostPath} is ${c.name}` }));
}

function procCgroups(b: Base): HostileCase[] {
  const line = MEMORY_LINE[b] as number;
  const c = (
    name: string,
    mutate: (root: string) => void,
    at: number | null = line,
    kured = b === "centos7-v1-near-cap",
  ): HostileCase => ({
    name: `/proc/cgroups ${name}`,
    base: b,
    file: "/proc/cgroups",
    ...(at === null ? {} : { line: at }),
    kured,
    mutate,
  });
  return [
    ...kernelFileCases(b, "proc/cgroups", "/proc/cgroups"),
    c("missing", gone("proc/cgroups"), null),
    c("with a negative count", setMemory("-19")),
    c("with a count past 2^53", setMemory("9007199254740993")),
    c("with a count in exponent form", setMemory("1e+23")),
    c(
      "with a second memory line",
      edit("proc/cgroups", (x) => `${x}memory\t4\t99999\t1\n`),
      14,
    ),
    c(
      "with a line of 3 fields",
      edit("proc/cgroups", (t) => t.replace(/^memory\t(\d+)\t(\d+)\t1$/m, "memory\t$1\t$2")),
      line,
    ),
    c("empty", put("proc/cgroups", ""), null),
    c(
      "without a memory line",
      edit("proc/cgroups", (t) => t.replace(/^memory.*\n/m, "")),
      null,
    ),
    c("of binary bytes", put("proc/cgroups", Buffer.from([0x6d, 0, 0xff, 0xfe, 0x0a, 0x01, 0x09, 0x02])), 1),
    c("below the live memcgs", setMemory("1")),
  ];
}

function capCases(): HostileCase[] {
  const b: Base = "centos7-v1-near-cap";
  return ["70000", "1000000000000", "65536"].map((n) => ({
    name: `/proc/cgroups says ${n} memcgs on a kernel whose dying memcgs hold IDs`,
    base: b,
    file: "/proc/cgroups",
    line: 5,
    kured: true,
    mutate: setMemory(n),
  }));
}

function mountinfo(b: Base): HostileCase[] {
  const f = "/proc/1/mountinfo";
  const mi = "proc/1/mountinfo";
  const noSelf = gone("proc/self/mountinfo");
  return [
    ...kernelFileCases(b, mi, f).map((c) => ({ ...c, mutate: both(noSelf, c.mutate) })),
    { name: "no mountinfo at all", base: b, file: f, mutate: both(gone(mi), noSelf) },
    {
      name: "a NUL byte in mountinfo",
      base: b,
      file: f,
      line: 1,
      mutate: both(noSelf, put(mi, "34 30 0:31 / /sys/fs/cgroup/mem\0ory rw - cgroup cgroup rw,memory\n")),
    },
    {
      name: "a mountinfo line cut short",
      base: b,
      file: f,
      line: 1,
      mutate: both(noSelf, put(mi, "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup\n")),
    },
    {
      name: "a mountinfo mount id that is no number",
      base: b,
      file: f,
      line: 1,
      mutate: both(noSelf, put(mi, "x4 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n")),
    },
    { name: "the memory mount point is a file", base: b, file: `/${MEM[b]}`, mutate: put(MEM[b], "not a directory\n") },
  ];
}

function smallFiles(b: Base): HostileCase[] {
  const os = "proc/sys/kernel/osrelease";
  return [
    ...kernelFileCases(b, os, "/proc/sys/kernel/osrelease").slice(0, 2),
    { name: "osrelease empty", base: b, file: "/proc/sys/kernel/osrelease", line: 1, mutate: put(os, "\n") },
    {
      name: "meminfo with SwapTotal twice",
      base: b,
      file: "/proc/meminfo",
      line: 3,
      mutate: put("proc/meminfo", "MemTotal: 1 kB\nSwapTotal: 0 kB\nSwapTotal: 8 kB\n"),
    },
    {
      name: "meminfo past 2^53 bytes",
      base: b,
      file: "/proc/meminfo",
      line: 1,
      mutate: put("proc/meminfo", "MemTotal: 9007199254740 kB\n"),
    },
    {
      name: "meminfo with a line of garbage",
      base: b,
      file: "/proc/meminfo",
      line: 2,
      mutate: put("proc/meminfo", "MemTotal: 1 kB\n\x1b[31mhello\n"),
    },
  ];
}

function cgroupStat(): HostileCase[] {
  const b: Base = "v2-debian-6.12-kubepods";
  const rel = "sys/fs/cgroup/cgroup.stat";
  const f = "/sys/fs/cgroup/cgroup.stat";
  const swap = (from: string, to: string) => edit(rel, (x) => x.replace(from, to));
  return [
    ...kernelFileCases(b, rel, f),
    { name: "cgroup.stat without nr_dying_descendants", base: b, file: f, mutate: put(rel, "nr_descendants 100\n") },
    {
      name: "cgroup.stat with a negative dying count",
      base: b,
      file: f,
      line: 15,
      mutate: swap("nr_dying_subsys_memory 19", "nr_dying_subsys_memory -19"),
    },
    {
      name: "cgroup.stat with a key twice",
      base: b,
      file: f,
      line: 21,
      mutate: edit(rel, (x) => `${x}nr_descendants 1\n`),
    },
    {
      name: "cgroup.stat past 2^53",
      base: b,
      file: f,
      line: 1,
      mutate: swap("nr_descendants 31", "nr_descendants 90071992547409930"),
    },
    {
      name: "cgroup.stat with nr_subsys_memory below the live memcgs",
      base: b,
      file: f,
      mutate: swap("nr_subsys_memory 32", "nr_subsys_memory 2"),
    },
    {
      name: "cgroup.stat with a line of 3 fields",
      base: b,
      file: f,
      line: 1,
      mutate: swap("nr_descendants 31", "nr_descendants 31 7"),
    },
    {
      name: "cgroup.events is a FIFO",
      base: b,
      file: "/sys/fs/cgroup/system.slice/cgroup.events",
      mutate: fifo("sys/fs/cgroup/system.slice/cgroup.events"),
    },
    {
      name: "cgroup.events without populated",
      base: b,
      file: "/sys/fs/cgroup/system.slice/cgroup.events",
      mutate: put("sys/fs/cgroup/system.slice/cgroup.events", "frozen 0\n"),
    },
  ];
}

function memoryStat(b: Base): HostileCase[] {
  const rel = `${MEM[b]}/memory.stat`;
  const f = `/${rel}`;
  return [
    { name: "root memory.stat without total_cache", base: b, file: f, mutate: put(rel, "cache 1\nrss 0\n") },
    {
      name: "root memory.stat past 2^53",
      base: b,
      file: f,
      line: 1,
      mutate: put(rel, "total_cache 90071992547409930\ncache 0\n"),
    },
    {
      name: "root memory.stat with a key twice",
      base: b,
      file: f,
      line: 3,
      mutate: put(rel, "cache 0\ntotal_cache 5\ncache 7\n"),
    },
    { name: "root memory.stat is a FIFO", base: b, file: f, mutate: fifo(rel) },
  ];
}

function perMemcg(): HostileCase[] {
  return [
    {
      name: "a cgroup.procs that is a FIFO",
      base: "hybrid-v1-memory",
      file: "/sys/fs/cgroup/memory/workload/cgroup.procs",
      mutate: fifo("sys/fs/cgroup/memory/workload/cgroup.procs"),
    },
    {
      name: "a cgroup.procs that links to /dev/zero",
      base: "hybrid-v1-memory",
      file: "/sys/fs/cgroup/memory/workload/cgroup.procs",
      mutate: link("sys/fs/cgroup/memory/workload/cgroup.procs", "/dev/zero"),
    },
    {
      name: "a kmem usage of garbage on 3.10",
      base: "centos7-v1-near-cap",
      file: "/sys/fs/cgroup/memory/system.slice/sshd.service/memory.kmem.usage_in_bytes",
      line: 1,
      mutate: put("sys/fs/cgroup/memory/system.slice/sshd.service/memory.kmem.usage_in_bytes", "n/a\n"),
    },
    {
      name: "a kmem usage past 2^53 on 3.10",
      base: "centos7-v1-near-cap",
      file: "/sys/fs/cgroup/memory/system.slice/sshd.service/memory.kmem.usage_in_bytes",
      line: 1,
      mutate: put("sys/fs/cgroup/memory/system.slice/sshd.service/memory.kmem.usage_in_bytes", "90071992547409930\n"),
    },
  ];
}

export function hostileCases(): HostileCase[] {
  return [
    ...V1.flatMap(procCgroups),
    ...capCases(),
    ...ALL.flatMap(mountinfo),
    ...ALL.flatMap(smallFiles),
    ...cgroupStat(),
    ...V1.flatMap(memoryStat),
    ...perMemcg(),
  ];
}

/** Builds one case's tree in a fresh temp dir. */
export function buildHostile(c: HostileCase): string {
  const root = copyFixture(c.base);
  c.mutate(root);
  return root;
}

/** Every path under root with its type, size and mtime: what a read-only command must leave as it was. */
export function snapshot(root: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      out.push(`${path.relative(root, p)} ${st.mode} ${st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort().join("\n");
}
