import { ParseError } from "../host/errors.js";
import { wholeNumber } from "./number.js";

/** One controller's line of /proc/cgroups. */
export interface CgroupSubsys {
  name: string;
  /** Hierarchy id: 0 when the controller is on cgroup v2 (or not mounted). */
  hierarchy: number;
  /** Live plus dying cgroups of this controller, kernel-wide. */
  numCgroups: number;
  enabled: boolean;
  /** The line it was read from, for errors about its figures. */
  line: number;
}

/**
 * Parses /proc/cgroups (Documentation/admin-guide/cgroup-v1/cgroups.rst):
 * `#subsys_name hierarchy num_cgroups enabled`, one tab-separated line per controller.
 */
export function parseProcCgroups(text: string, file = "/proc/cgroups"): CgroupSubsys[] {
  const out: CgroupSubsys[] = [];
  const seen = new Set<string>();
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "" || line.startsWith("#")) return;
    const f = line.trim().split(/\s+/);
    if (f.length !== 4) throw new ParseError(file, i + 1, `expected 4 fields, found ${f.length}`, line);
    const [name, h, n, e] = f as [string, string, string, string];
    if (seen.has(name)) throw new ParseError(file, i + 1, `a second line for the ${name} controller`, line);
    seen.add(name);
    out.push({
      name,
      hierarchy: toCount(h, file, i + 1, "hierarchy", line),
      numCgroups: toCount(n, file, i + 1, "num_cgroups", line),
      enabled: toCount(e, file, i + 1, "enabled", line) === 1,
      line: i + 1,
    });
  });
  if (out.length === 0) throw new ParseError(file, 0, "expected at least one controller line, found none");
  return out;
}

function toCount(s: string, file: string, lineNumber: number, field: string, text: string): number {
  return wholeNumber(s, { file, line: lineNumber, field, text });
}

/** The memory controller's line, or undefined on a kernel built without it. */
export function memorySubsys(subsystems: CgroupSubsys[]): CgroupSubsys | undefined {
  return subsystems.find((s) => s.name === "memory");
}
