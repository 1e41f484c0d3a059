import type { BootParams } from "../parsers/cmdline.js";

/** One cgroup-relevant boot parameter and what it changes on this node. */
export interface BootEffect {
  param: string;
  effect: string;
}

export interface BootLine {
  /** null when /proc/cmdline could not be read. */
  raw: string | null;
  effects: BootEffect[];
  /** Parameters that disagree, and which one the kernel (or systemd) follows. */
  conflicts: string[];
}

const MEMORY_TOGGLE_SOURCE =
  "cgroup_enable= is not upstream: Debian's and Raspberry Pi's kernels add it (raspberrypi/linux 'cgroup: Disable cgroup \"memory\" by default'); both are __setup handlers run in command-line order on one mask";

/** What the boot line does to memory cgroups, read as the kernel reads it. Pure. */
export function bootLine(boot: BootParams | null, opts: { rhel7: boolean }): BootLine {
  if (boot === null) return { raw: null, effects: [], conflicts: [] };
  const effects: BootEffect[] = [];
  const conflicts: string[] = [];
  if (boot.nokmem) {
    effects.push({
      param: "cgroup.memory=nokmem",
      effect: opts.rhel7
        ? "kernel memory is not charged to memcgs: RHEL 7 honours it from 3.10.0-1062 and then the kmem-and-fork leak cannot happen (docker/for-linux#841); slab can no longer pin a dying memcg"
        : "kernel memory is not charged to memcgs: slab and kernel stacks can no longer pin a dying memcg",
    });
  }
  if (boot.nosocket)
    effects.push({ param: "cgroup.memory=nosocket", effect: "socket buffers are not charged to memcgs" });
  if (boot.cgroupNoV1 !== null) {
    const memoryOff = boot.cgroupNoV1.includes("all") || boot.cgroupNoV1.includes("memory");
    effects.push({
      param: `cgroup_no_v1=${boot.cgroupNoV1.join(",")}`,
      effect: memoryOff
        ? "the memory controller cannot be mounted on a cgroup v1 hierarchy: it is usable only on cgroup v2"
        : "the named controllers cannot be mounted on cgroup v1; memory is not among them",
    });
  }
  if (boot.unifiedHierarchy !== null) {
    effects.push({
      param: `systemd.unified_cgroup_hierarchy=${boot.unifiedHierarchy ? 1 : 0}`,
      effect: boot.unifiedHierarchy
        ? "systemd mounts only cgroup v2 at /sys/fs/cgroup"
        : "systemd mounts cgroup v1 controllers (legacy or hybrid layout); systemd 256 and later refuse to boot in v1 mode unless told, 258 removed it",
    });
    const noV1Memory =
      boot.cgroupNoV1 !== null && (boot.cgroupNoV1.includes("all") || boot.cgroupNoV1.includes("memory"));
    if (!boot.unifiedHierarchy && noV1Memory) {
      conflicts.push(
        "systemd.unified_cgroup_hierarchy=0 asks for v1, but cgroup_no_v1 forbids memory on v1: the kernel wins, so memory can only appear on the cgroup v2 mount (systemd's unified/ in hybrid mode)",
      );
    }
  }
  memoryToggle(boot, effects, conflicts);
  return { raw: boot.raw, effects, conflicts };
}

function memoryToggle(boot: BootParams, effects: BootEffect[], conflicts: string[]): void {
  const t = boot.memoryToggles;
  const last = t.at(-1);
  if (last === undefined) return;
  effects.push({
    param: last === "disable" ? "cgroup_disable=memory" : "cgroup_enable=memory",
    effect:
      last === "disable"
        ? "the memory controller is disabled: /proc/cgroups shows it with enabled 0 and no hierarchy can mount it"
        : "turns on the memory controller on kernels that leave it off by default (Debian before 4.19-era packaging, Raspberry Pi); ignored by upstream kernels",
  });
  if (t.includes("enable") && t.includes("disable")) {
    conflicts.push(
      `both cgroup_enable=memory and cgroup_disable=memory are given: the last one (${last}) wins where cgroup_enable exists; an upstream kernel ignores cgroup_enable and disables memory (${MEMORY_TOGGLE_SOURCE})`,
    );
  }
}

/** What /proc/cgroups says of the memory controller, for the "no memory controller" reason. */
export interface MemoryLine {
  present: boolean;
  enabled: boolean;
}

/**
 * Why no hierarchy offers the memory controller, from the most to the least certain evidence:
 * the kernel's own /proc/cgroups, then the boot line, then the mounts.
 */
export function memoryMissingReason(
  line: MemoryLine | null,
  boot: BootParams | null,
  v1Optional: boolean | "unknown",
): string {
  if (line === null) return "/proc/cgroups could not be read, so the cause is unknown";
  if (!line.present)
    return "the kernel was built without the memory controller (/proc/cgroups has no memory line: CONFIG_MEMCG is off)";
  if (!line.enabled) {
    const last = boot?.memoryToggles.at(-1);
    if (last === "disable")
      return "the memory controller is disabled at boot (cgroup_disable=memory on the kernel command line; /proc/cgroups shows enabled 0)";
    return "the memory controller is disabled (/proc/cgroups shows enabled 0) without cgroup_disable=memory: this kernel leaves it off unless booted with cgroup_enable=memory (Debian's older and Raspberry Pi's kernels)";
  }
  const noV1 = boot?.cgroupNoV1 ?? [];
  if (noV1.includes("all") || noV1.includes("memory")) {
    return `the memory controller is enabled but not mounted: cgroup_no_v1=${noV1.join(",")} keeps it off cgroup v1, and no cgroup v2 mount lists memory in cgroup.controllers (mount cgroup2, or let systemd run the unified hierarchy)`;
  }
  const compiledOut =
    v1Optional === false
      ? ""
      : "; on 6.12 and later the kernel may also be built without cgroup v1 memory (CONFIG_MEMCG_V1 off), so only cgroup v2 can offer it";
  return `the memory controller is enabled in the kernel but no cgroup hierarchy offers it: nothing mounted it on v1 and the cgroup v2 root does not list it${compiledOut}`;
}
