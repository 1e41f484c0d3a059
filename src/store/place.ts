import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Filesystems whose files are the kernel's, not storage (statfs f_type, include/uapi/linux/magic.h).
 * SQLite on them cannot work: on /proc it spun at 100 % CPU and ignored SIGTERM.
 */
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: "procfs",
  0x62656572: "sysfs",
  0x27e0eb: "cgroup",
  0x63677270: "cgroup2",
  0x64626720: "debugfs",
  0x74726163: "tracefs",
  0x1cd1: "devpts",
  0x73636673: "securityfs",
  0xcafe4a11: "bpf",
};

/** Why a database cannot live at `file`, or null when it can (":memory:" always can). */
export function unfitPlace(file: string): string | null {
  if (file === ":memory:") return null;
  let dir = path.dirname(path.resolve(file));
  // The database's directory may not exist yet (serve creates it): the nearest one that does decides.
  while (!fs.existsSync(dir) && dir !== path.dirname(dir)) dir = path.dirname(dir);
  let type: number;
  try {
    type = fs.statfsSync(dir).type;
  } catch {
    return null; // openStore will say what is wrong with it
  }
  const fsName = PSEUDO_FS[type];
  return fsName === undefined ? null : `${file} is on ${fsName} (${dir}), a kernel filesystem that holds no database`;
}
