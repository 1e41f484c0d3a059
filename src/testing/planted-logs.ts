import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

/** dockerd's line when runc's mkdir of a memcg fails (the seed's failure), without the syslog prefix. */
export const FAILURE_LINE =
  'msg="caused \\"mkdir /sys/fs/cgroup/memory/docker/cgleak-test: no space left on device\\""';
const JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote";
/** Debian's journald lets group adm read the journal (an ACL); the DaemonSet's user is in gid 4. */
const ADM = 4;

export interface Planted {
  path: string;
  remove: () => void;
}

function syslogStamp(d: Date): string {
  const mon = d.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  return `${mon} ${String(d.getUTCDate()).padStart(2, " ")} ${d.toISOString().slice(11, 19)}`;
}

/** A syslog file holding one failure line, readable by anyone (as /var/log/syslog is by adm). */
export function plantLogFile(file: string): Planted {
  fs.writeFileSync(file, `${syslogStamp(new Date())} ${os.hostname()} dockerd[7]: ${FAILURE_LINE}\n`, { mode: 0o644 });
  return { path: file, remove: () => fs.rmSync(file, { force: true }) };
}

export function needsJournalRemote(): string | false {
  return fs.existsSync(JOURNAL_REMOTE)
    ? false
    : "needs systemd-journal-remote (apt-get install systemd-journal-remote) to write a journal file";
}

/**
 * A journal file with one dockerd entry, in its own machine-id directory under `dir` (journalctl
 * --directory reads DIR/<128-bit id>/*.journal). There is no journald on this machine to log
 * through, so systemd-journal-remote writes the file from journal export format.
 */
export function plantJournalLine(dir: string, message: string): Planted {
  const sub = path.join(dir, crypto.randomBytes(16).toString("hex"));
  fs.mkdirSync(sub, { mode: 0o755 });
  const file = path.join(sub, "cgleak-test.journal");
  const usec = BigInt(Date.now()) * 1000n;
  const entry = [
    `__REALTIME_TIMESTAMP=${usec}`,
    "__MONOTONIC_TIMESTAMP=1",
    `_BOOT_ID=${crypto.randomBytes(16).toString("hex")}`,
    `_HOSTNAME=${os.hostname()}`,
    "SYSLOG_IDENTIFIER=dockerd",
    "_PID=7",
    `MESSAGE=${message}`,
    "",
    "",
  ].join("\n");
  const r = spawnSync(JOURNAL_REMOTE, ["--output", file, "-"], { input: entry, encoding: "utf8" });
  const remove = (): void => fs.rmSync(sub, { recursive: true, force: true });
  if (r.status !== 0) {
    remove();
    throw new Error(`systemd-journal-remote failed (${r.status}): ${r.stderr}`);
  }
  fs.chownSync(file, 0, ADM);
  return { path: file, remove };
}
