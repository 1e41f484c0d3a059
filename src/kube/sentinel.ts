import * as fs from "node:fs";
import * as path from "node:path";
import type { ScanReport } from "../analyze/report.js";
import { rebootVerdict } from "./reboot.js";

/**
 * The file kured's --reboot-sentinel watches: present exactly while `cgleak check --kured` would
 * say "reboot". Written atomically (rename) so kured never sees half a file. Returns whether the
 * file now exists. Errors (read-only mount, missing directory) are thrown for the caller to log.
 */
export function updateSentinel(file: string, report: ScanReport): boolean {
  const v = rebootVerdict(report);
  if (!v.needed) {
    fs.rmSync(file, { force: true });
    return false;
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, `cgleak ${report.time}: ${v.why}\n`);
  fs.renameSync(tmp, file);
  return true;
}
