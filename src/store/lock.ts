import * as fs from "node:fs";

/** Who holds a database: enough to prove the holder dead after a crash or a reboot. */
interface Holder {
  pid: number;
  bootId: string;
  pidNs: string;
  start: string;
}

function me(): Holder {
  return { pid: process.pid, bootId: bootId(), pidNs: pidNs(), start: startTime(process.pid) ?? "" };
}

function bootId(): string {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}

function pidNs(): string {
  try {
    return fs.readlinkSync("/proc/self/ns/pid");
  } catch {
    return "";
  }
}

/** Field 22 of /proc/PID/stat (after the parenthesised name): a reused pid has another start time. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** True unless the holder is provably gone: another boot, or same namespace and no such process now. */
function alive(h: Holder): boolean {
  const now = me();
  if (h.bootId !== now.bootId) return false;
  if (h.pidNs !== now.pidNs) return true; // cannot look into its pid namespace: assume it runs
  return startTime(h.pid) === h.start;
}

/**
 * Takes `${db}.lock` for this process (O_EXCL), so two `serve` on one database are refused
 * rather than interleaving samples. A lock left by a holder that is provably dead is taken over.
 * Returns a release function, or a one-line reason.
 */
export function lockDatabase(db: string): (() => void) | string {
  const file = `${db}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me()) + "\n", { flag: "wx", mode: 0o644 });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST")
        return `cannot create ${file}: ${(err as Error).message.split("\n")[0]}`;
    }
    const holder = readHolder(file);
    if (holder !== undefined && alive(holder))
      return `another cgleak serve (pid ${holder.pid}) uses ${db} (lock ${file})`;
    fs.rmSync(file, { force: true }); // stale: its holder is gone
  }
  return `cannot take ${file}: another process keeps creating it`;
}

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<Holder>;
    return typeof h.pid === "number"
      ? { pid: h.pid, bootId: String(h.bootId ?? ""), pidNs: String(h.pidNs ?? ""), start: String(h.start ?? "") }
      : undefined;
  } catch {
    return undefined; // unreadable or half-written: treated as stale
  }
}
