// Writes the hand-built fixture hosts. Run: node testdata/hosts/generate.mjs
// Files marked "verbatim" are copied from real hosts; the trees around them are built to match
// the counts the case needs. Real v2 trees are captured under qemu into v2-debian-* (lab:capture).
import * as fs from "node:fs";
import * as path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);

function write(root, rel, text) {
  const p = path.join(here, root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
}
function reset(root) {
  fs.rmSync(path.join(here, root), { recursive: true, force: true });
}
function cg(root, mount, rel, files = {}) {
  const dir = rel === "" ? mount : `${mount}/${rel}`;
  write(root, `${dir}/cgroup.procs`, files.procs ?? "");
  for (const [k, v] of Object.entries(files)) if (k !== "procs") write(root, `${dir}/${k}`, v);
}
const uuid = (i) => `79fe803c-072f-11e9-90ca-5254000${String(90000 + i).padStart(5, "0")}`;
const hex64 = (i) => (i.toString(16).padStart(8, "0") + "b98d4aea818bf9d1d1aa84079e1688cd9b4218e008c58a8ef6d6c3c1").slice(0, 64);

// CentOS 7 node near the cap: /proc/cgroups says 65530 memcgs, 61 directories exist (moby/moby#29638).
const PROC_CGROUPS_EL7 = (mem) => `#subsys_name\thierarchy\tnum_cgroups\tenabled
cpuset\t7\t61\t1
cpu\t2\t61\t1
cpuacct\t2\t61\t1
memory\t8\t${mem}\t1
devices\t3\t61\t1
freezer\t5\t5\t1
net_cls\t6\t1\t1
blkio\t4\t61\t1
perf_event\t9\t1\t1
hugetlb\t10\t1\t1
pids\t11\t61\t1
net_prio\t6\t1\t1
`;
const MOUNTINFO_EL7 = `18 41 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
19 41 0:3 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
24 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:7 - tmpfs tmpfs ro,mode=755
25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
28 24 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,cpuacct,cpu
29 24 0:25 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,devices
30 24 0:26 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,blkio
31 24 0:27 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,freezer
32 24 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,net_prio,net_cls
33 24 0:29 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpuset
34 24 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
35 24 0:31 / /sys/fs/cgroup/perf_event rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,perf_event
36 24 0:32 / /sys/fs/cgroup/hugetlb rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,hugetlb
37 24 0:33 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,pids
41 0 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/centos-root rw,attr2,inode64,noquota
`;
const MEMINFO_EL7 = `MemTotal:       16266380 kB
MemFree:          912340 kB
MemAvailable:    9875140 kB
Buffers:            2108 kB
Cached:          8725188 kB
SwapCached:            0 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Slab:            3411020 kB
SReclaimable:     812540 kB
SUnreclaim:      2598480 kB
HugePages_Total:       0
HugePages_Free:        0
Hugepagesize:       2048 kB
`;
const V1_STAT = (cache, totalCache) => `cache ${cache}\nrss 0\nshmem 0\nmapped_file 0\ntotal_cache ${totalCache}\ntotal_rss 0\ntotal_shmem 0\n`;

function centos7() {
  el7Host("centos7-v1-near-cap", { release: "3.10.0-862.9.1.el7.x86_64", total: 65530, kmem: true, boot: "", pinned: true });
}

// RHEL/CentOS 7.8 (3.10.0-1127) and 7.9 (3.10.0-1160) nodes: after the 1075 fix dying memcgs still
// hold IDs (kubernetes/kubernetes#96701). At 30,000 and at the cap, with and without kmem-enabling
// runtimes (kmem usage in the pod memcgs), with and without cgroup.memory=nokmem, with and without
// page cache pinned by the dying ones (root total_cache minus what the live memcgs hold).
function el7Matrix() {
  const kernels = { "el7.8": "3.10.0-1127.19.1.el7.x86_64", "el7.9": "3.10.0-1160.49.1.el7.x86_64" };
  // [kernel, size, kmem-enabling runtimes, booted nokmem, page cache pinned by the dying ones]
  const cases = [
    ["el7.9", "30k", true, false, true],
    ["el7.9", "cap", true, false, false],
    ["el7.9", "cap", true, false, true],
    ["el7.8", "cap", false, true, false],
    ["el7.8", "30k", false, true, true],
  ];
  for (const [tag, size, kmem, nokmem, pinned] of cases) {
    const name = `${tag}-${size}-${kmem ? "kmem" : "nokmem"}-${pinned ? "pagecache" : "nopagecache"}`;
    el7Host(name, { release: kernels[tag], total: size === "cap" ? 65535 : 30000, kmem, boot: nokmem ? " cgroup.memory=nokmem" : "", pinned });
  }
}

// With `pinned`, the dying memcgs hold page cache at three levels (the root's 476 MB, burstable's
// 800 MB and besteffort's 1.4 GB beyond their live children); without, every total is its children's sum.
function el7Host(r, { release, total, kmem, boot, pinned }) {
  const qos = pinned ? { burstable: 2000000000, besteffort: 2000000000 } : { burstable: 1200000000, besteffort: 600000000 };
  const kubepods = qos.burstable + qos.besteffort;
  const system = pinned ? 3000000000 : 19 * 150000000;
  const rootTotalCache = pinned ? 9000000000 : 524288000 + kubepods + system + 1000000000;
  reset(r);
  write(r, "proc/cgroups", PROC_CGROUPS_EL7(total));
  write(r, "proc/1/mountinfo", MOUNTINFO_EL7);
  write(r, "proc/sys/kernel/osrelease", `${release}\n`);
  write(r, "proc/cmdline", `BOOT_IMAGE=/vmlinuz-${release} root=/dev/mapper/centos-root ro crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet LANG=en_US.UTF-8${boot}\n`);
  write(r, "proc/meminfo", MEMINFO_EL7);
  const m = "sys/fs/cgroup/memory";
  const k = (bytes) => `${kmem ? bytes : 0}\n`;
  // 1 root + kubepods (1) + burstable, besteffort (2) + 18 pods x (pod + 1 container) (36)
  // + system.slice (1) + 19 services + user.slice (1) = 61 directories.
  cg(r, m, "", { "memory.stat": V1_STAT(524288000, rootTotalCache) });
  cg(r, m, "kubepods", { "memory.stat": V1_STAT(0, pinned ? 4000000000 : kubepods), "memory.kmem.usage_in_bytes": k(1638400) });
  for (const q of ["burstable", "besteffort"]) {
    cg(r, m, `kubepods/${q}`, { "memory.stat": V1_STAT(0, qos[q]), "memory.kmem.usage_in_bytes": k(819200) });
  }
  for (let i = 0; i < 18; i++) {
    const qos = i < 12 ? "burstable" : "besteffort";
    const pod = `kubepods/${qos}/pod${uuid(i)}`;
    cg(r, m, pod, { "memory.stat": V1_STAT(0, 100000000), "memory.kmem.usage_in_bytes": k(409600) });
    cg(r, m, `${pod}/${hex64(i)}`, { procs: `${20000 + i}\n`, "memory.stat": V1_STAT(100000000, 100000000), "memory.kmem.usage_in_bytes": k(204800) });
  }
  cg(r, m, "system.slice", { "memory.stat": V1_STAT(0, system), "memory.kmem.usage_in_bytes": "0\n" });
  for (const svc of ["docker", "kubelet", "containerd", "sshd", "crond", "rsyslog", "systemd-journald", "systemd-logind", "dbus", "NetworkManager", "tuned", "chronyd", "auditd", "polkit", "firewalld", "irqbalance", "lvm2-lvmetad", "systemd-udevd", "gssproxy"]) {
    cg(r, m, `system.slice/${svc}.service`, { procs: "1234\n", "memory.stat": V1_STAT(150000000, 150000000), "memory.kmem.usage_in_bytes": "0\n" });
  }
  cg(r, m, "user.slice", { procs: "4321\n", "memory.stat": V1_STAT(1000000000, 1000000000), "memory.kmem.usage_in_bytes": "0\n" });
}

// A hybrid host like this project's lab machine: memory on v1, cgroup2 mounted without it.
function hybrid() {
  const r = "hybrid-v1-memory";
  reset(r);
  write(r, "proc/cgroups", `#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t3\t1\t1\ncpu\t1\t1\t1\ncpuacct\t2\t1\t1\nblkio\t7\t1\t1\nmemory\t4\t13\t1\ndevices\t5\t1\t1\nfreezer\t6\t1\t1\nnet_cls\t0\t1\t1\nperf_event\t0\t1\t1\nnet_prio\t0\t1\t1\nhugetlb\t0\t1\t1\npids\t8\t1\t1\n`);
  write(r, "proc/1/mountinfo", fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => / \/sys| \/proc | \/ rw/.test(l) && !l.includes("sandboxing")).join("\n") + "\n");
  write(r, "proc/sys/kernel/osrelease", "6.18.44-fc-v782\n");
  write(r, "proc/cmdline", "console=ttyS0 quiet reboot=k panic=1 psi=1\n");
  write(r, "proc/meminfo", fs.readFileSync("/tmp/meminfo-here", "utf8"));
  const m = "sys/fs/cgroup/memory";
  // 3 MiB pinned under workload, 1 MiB directly under the root.
  cg(r, m, "", { "memory.stat": V1_STAT(9605120, 9605120 + 3 * 1048576 + 65536 + 1048576) });
  cg(r, m, "workload", { "memory.stat": V1_STAT(0, 3 * 1048576 + 65536) });
  for (const c of ["a", "b"]) cg(r, m, `workload/${c}`, { procs: "77\n", "memory.stat": V1_STAT(32768, 32768) });
  cg(r, m, "idle", { "memory.stat": V1_STAT(0, 0) });
  write(r, "sys/fs/cgroup/unified/cgroup.controllers", "");
  write(r, "sys/fs/cgroup/unified/cgroup.stat", "nr_descendants 0\nnr_subsys_perf_event 1\nnr_subsys_hugetlb 1\nnr_dying_descendants 0\nnr_dying_subsys_perf_event 0\nnr_dying_subsys_hugetlb 0\n");
}

// A host without the memory controller (cgroup_disable=memory on a v1 host).
function noMemory() {
  const r = "no-memory-controller";
  reset(r);
  write(r, "proc/cgroups", PROC_CGROUPS_EL7(1).replace("memory\t8\t1\t1", "memory\t0\t1\t0"));
  write(r, "proc/1/mountinfo", MOUNTINFO_EL7.split("\n").filter((l) => !l.includes("memory")).join("\n"));
  write(r, "proc/sys/kernel/osrelease", "3.10.0-1160.el7.x86_64\n");
  write(r, "proc/cmdline", "BOOT_IMAGE=/vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/sda1 ro cgroup_disable=memory\n");
}

// Inside a DaemonSet pod: the host at /host, PID 1's mountinfo hidden (hidepid), self's lists the host's cgroup mounts there.
function container() {
  const r = "container-view";
  reset(r);
  const h = "host";
  write(r, `${h}/proc/cgroups`, PROC_CGROUPS_EL7(40));
  write(r, `${h}/proc/self/mountinfo`, MOUNTINFO_EL7);
  write(r, `${h}/proc/sys/kernel/osrelease`, "5.15.0-91-generic\n");
  write(r, `${h}/proc/cmdline`, "BOOT_IMAGE=/boot/vmlinuz-5.15.0-91-generic root=UUID=0a1b ro quiet splash\n");
  const m = `${h}/sys/fs/cgroup/memory`;
  cg(r, m, "", { "memory.stat": V1_STAT(0, 0) });
  cg(r, m, "system.slice", { "memory.stat": V1_STAT(0, 0) });
  // 30 directories, 40 memcgs in the kernel: 10 dying.
  for (let i = 0; i < 28; i++) cg(r, m, `system.slice/svc${i}.service`, { procs: "1\n", "memory.stat": V1_STAT(0, 0) });
}

// A node where kubelet's `systemd-run --scope` mounts leaked 300 empty run-*.scope cgroups (k8s#70324).
function runScopes() {
  const r = "run-scope-leak";
  reset(r);
  write(r, "proc/cgroups", PROC_CGROUPS_EL7(330));
  write(r, "proc/1/mountinfo", MOUNTINFO_EL7);
  write(r, "proc/sys/kernel/osrelease", "4.19.0-21-amd64\n");
  write(r, "proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-4.19.0-21-amd64 root=/dev/sda1 ro quiet\n");
  const m = "sys/fs/cgroup/memory";
  cg(r, m, "", { "memory.stat": V1_STAT(0, 0) });
  cg(r, m, "system.slice", { "memory.stat": V1_STAT(0, 0) });
  for (let i = 0; i < 300; i++) {
    const id = (0x1a2b3c4d5e6f7081n + BigInt(i) * 7919n).toString(16);
    cg(r, m, `system.slice/run-r${id}.scope`);
  }
  for (const svc of ["kubelet", "containerd", "sshd"]) cg(r, m, `system.slice/${svc}.service`, { procs: "99\n" });
  cg(r, m, "user.slice", { procs: "1000\n" });
}

centos7();
el7Matrix();
hybrid();
noMemory();
container();
runScopes();
