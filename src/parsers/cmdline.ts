/** The memcg-relevant kernel boot parameters of /proc/cmdline. */
export interface BootParams {
  raw: string;
  /** `cgroup.memory=nokmem`: kernel memory is not charged to memcgs at all. */
  nokmem: boolean;
  /** `cgroup.memory=nosocket`: socket memory is not charged. */
  nosocket: boolean;
  /** `cgroup_no_v1=all|memory,...`; null when absent. */
  cgroupNoV1: string[] | null;
  /** `systemd.unified_cgroup_hierarchy=`; null when absent. */
  unifiedHierarchy: boolean | null;
  /** `cgroup_enable=memory` (Debian, Ubuntu and Raspberry Pi kernels leave memcg off without it). */
  cgroupEnableMemory: boolean;
  /** `cgroup_disable=...` controllers (e.g. memory): the controller is off. */
  cgroupDisable: string[];
  /** Every `cgroup_enable=`/`cgroup_disable=` naming memory, in command-line order (the last one wins). */
  memoryToggles: Array<"enable" | "disable">;
}

/**
 * Parses /proc/cmdline (Documentation/admin-guide/kernel-parameters.rst). Never throws: the
 * kernel itself ignores what it does not understand, so we do too. Words after a bare `--`
 * go to init, not to the kernel, and are ignored.
 */
export function parseCmdline(text: string, _file = "/proc/cmdline"): BootParams {
  const out: BootParams = {
    raw: text.trim(),
    nokmem: false,
    nosocket: false,
    cgroupNoV1: null,
    unifiedHierarchy: null,
    cgroupEnableMemory: false,
    cgroupDisable: [],
    memoryToggles: [],
  };
  for (const word of splitWords(text)) {
    if (word === "--") break;
    const eq = word.indexOf("=");
    const key = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? null : word.slice(eq + 1);
    apply(out, key, value);
  }
  return out;
}

function apply(out: BootParams, key: string, value: string | null): void {
  const list =
    value === null
      ? []
      : value
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "");
  switch (key) {
    case "cgroup.memory":
      // The kernel ORs every token of every occurrence (mm/memcontrol.c cgroup_memory()).
      if (list.includes("nokmem")) out.nokmem = true;
      if (list.includes("nosocket")) out.nosocket = true;
      break;
    case "cgroup_no_v1":
      out.cgroupNoV1 = [...(out.cgroupNoV1 ?? []), ...list];
      break;
    case "systemd.unified_cgroup_hierarchy":
      out.unifiedHierarchy = value === null ? true : parseBool(value, out.unifiedHierarchy);
      break;
    case "cgroup_enable":
      if (list.includes("memory")) {
        out.cgroupEnableMemory = true;
        out.memoryToggles.push("enable");
      }
      break;
    case "cgroup_disable":
      out.cgroupDisable.push(...list);
      if (list.includes("memory")) out.memoryToggles.push("disable");
      break;
  }
}

/** systemd's parse_boolean(); an unrecognised value keeps what was there (systemd ignores it). */
function parseBool(v: string, previous: boolean | null): boolean | null {
  const s = v.toLowerCase();
  if (["1", "yes", "y", "true", "t", "on"].includes(s)) return true;
  if (["0", "no", "n", "false", "f", "off"].includes(s)) return false;
  return previous;
}

/** Splits like the kernel's next_arg(): whitespace separates, double quotes group. */
function splitWords(text: string): string[] {
  const words: string[] = [];
  const re = /(?:[^\s"]+|"[^"]*"?)+/g;
  for (const m of text.matchAll(re)) words.push(m[0].replace(/"/g, ""));
  return words;
}
