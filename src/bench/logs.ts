/**
 * serve's log check on a 512 MB syslog file (issue 20 item 9): the first check and a later one
 * after 1 MB more, read whole as before (scanLogs with the window's since) and tailed (LogTailer).
 * The file spans 10 days with one match per MiB; it is written to a temp dir (page cache warm)
 * and removed after.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { scanLogs, type LogReport } from "../logs/scan-logs.js";
import { LogTailer } from "../logs/tail.js";

const MiB = 1024 * 1024;
const SIZE_MIB = Number(process.env.CGLEAK_BENCH_LOG_MIB ?? 512);
const SPAN_MS = 10 * 86_400_000;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const STAMP = "@@@@@@@@@@@@@@@";
const stamp = (d: Date): string =>
  `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${d.toTimeString().slice(0, 8)}`;

/** One MiB of kubelet chatter and one dockerd match, every line stamped STAMP. */
function template(): string {
  const miss = `${STAMP} n1 kubelet[8]: I1224 11:54:32.000000 8 kubelet.go:100] SyncLoop (housekeeping) all pods fine`;
  const hit = `${STAMP} n1 dockerd[7]: mkdir /sys/fs/cgroup/memory/docker/ab12: no space left on device`;
  const lines = Array.from({ length: Math.floor(MiB / (miss.length + 1)) - 1 }, () => miss);
  return `${[...lines, hit].join("\n")}\n`;
}

function writeLog(file: string, from: number, to: number, mib: number): void {
  const body = template();
  const fd = fs.openSync(file, "a");
  try {
    for (let i = 0; i < mib; i++) {
      fs.writeSync(fd, body.replaceAll(STAMP, stamp(new Date(from + ((to - from) * i) / mib))));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Wall and CPU (user + system) seconds: a busy machine distorts the CPU time less. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, { wall: number; cpu: number }]> {
  const t = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return [value, { wall: Number(process.hrtime.bigint() - t) / 1e9, cpu: (used.user + used.system) / 1e6 }];
}

const dir = fs.mkdtempSync("/tmp/cgleak-bench-logs-");
try {
  const file = path.join(dir, "messages");
  const now = Date.now();
  writeLog(file, now - SPAN_MS, now - 60_000, SIZE_MIB);
  const since = new Date(now - 86_400_000);
  const sources = [{ type: "file" as const, path: file }];
  const line = (what: string, r: LogReport, s: { wall: number; cpu: number }): void => {
    const read = `${r.sources[0]?.lines} lines read, ${r.total} matches`;
    const took = `${s.wall.toFixed(3).padStart(7)} s (CPU ${s.cpu.toFixed(3)} s)`;
    process.stdout.write(`${what.padEnd(44)} ${took}  ${read}\n`);
  };
  process.stdout.write(`${SIZE_MIB} MiB syslog over 10 days, one match per MiB (${SIZE_MIB / 10} a day):\n`);
  const [full1, f1] = await timed(() => scanLogs(sources, { since, now: new Date(now) }));
  line("before (full read), first check", full1, f1);
  const tailer = new LogTailer({ since });
  const [tail1, t1] = await timed(() => tailer.check(sources, new Date(now)));
  line("after (tailed), first check", tail1, t1);
  writeLog(file, now + 1000, now + 1000, 1);
  const later = new Date(now + 2000);
  // serve's full read took the lines from the previous check's second on.
  const previous = new Date(Math.floor(now / 1000) * 1000);
  const [full2, f2] = await timed(() => scanLogs(sources, { since: previous, now: later }));
  line("before (full read), check after 1 MiB more", full2, f2);
  const [tail2, t2] = await timed(() => tailer.check(sources, later));
  line("after (tailed), check after 1 MiB more", tail2, t2);
  const all = await scanLogs(sources, { since, now: later });
  const same = JSON.stringify(all.findings) === JSON.stringify(tailer.running().findings);
  process.stdout.write(`tailed total = a full read of the same file: ${same ? "yes" : "NO"} (${all.total} matches)\n`);
  if (!same) process.exitCode = 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
