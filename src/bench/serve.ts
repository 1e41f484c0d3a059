/**
 * `cgleak serve` with 10,000 live memcgs on the real kernel, next to node_exporter's cgroups
 * collector in the same run: /metrics latency p50/p99 under 50 concurrent clients (wrk), CPU
 * seconds per hour at the default interval (idle but scraped every 15 s, from /proc/<pid>/stat, children included;
 * cgleak's walks added from their measured CPU, 12 an hour), and RSS. The memcgs are removed
 * afterwards, even on failure or Ctrl-C. CGLEAK_BENCH_SECONDS sets the CPU window (default 120).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { MEMCG_V1, needsRootMemcgV1, removeCgroupTree } from "../testing/kernel.js";
import { startServe, getText, metricValue, sleep, waitFor } from "../testing/serve.js";

const root = path.join(MEMCG_V1, `cgleak-bench-serve-${process.pid}`);
const WINDOW_S = Number(process.env.CGLEAK_BENCH_SECONDS ?? 120);
const TICK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || 100);

function build(): void {
  fs.mkdirSync(root);
  for (let p = 0; p < 101; p++) {
    fs.mkdirSync(path.join(root, `p${p}`));
    for (let c = 0; c < 98; c++) fs.mkdirSync(path.join(root, `p${p}`, `c${c}`));
  }
}

/** The process's CPU and its reaped children's (serve runs journalctl to read the journal at each walk). */
function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return fields.slice(11, 15).reduce((sum, v) => sum + Number(v), 0) / TICK; // utime, stime, cutime, cstime
}

function rssMb(pid: number): { now: number; peak: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(s)?.[1] ?? NaN);
  return { now: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/** wrk's latency distribution, in milliseconds, and its request rate. */
function wrk(url: string): { p50: number; p99: number; rps: number; bad: number } {
  const r = spawnSync("wrk", ["-t2", "-c50", "-d10s", "--latency", url], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const ms = (q: string): number => {
    const m = new RegExp(`^\\s+${q}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(r.stdout);
    if (!m) throw new Error(`wrk printed no ${q}% line:\n${r.stdout}`);
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as "us" | "ms" | "s"];
  };
  const bad = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
  return { p50: ms("50"), p99: ms("99"), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]), bad };
}

async function nodeExporter(): Promise<{ proc: ChildProcess; url: string }> {
  const port = 20000 + (process.pid % 10000);
  const proc = spawn(
    "prometheus-node-exporter",
    [
      "--collector.disable-defaults",
      "--collector.cgroups",
      "--web.max-requests=0",
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}/metrics`;
  await waitFor("node_exporter", 10_000, async () => ((await getText(url)).status === 200 ? true : undefined));
  return { proc, url };
}

/**
 * CPU seconds one walk costs, journalctl included: a second serve that walks at every 5 s tick,
 * after its first walk (which reads 24 h of logs), minus its ticks' idle cost. The walk's duration
 * is wall time, which on a busy machine counts other processes' turns.
 */
async function walkCpuSeconds(idleTickS: number): Promise<{ seconds: number; walks: number }> {
  const s = await startServe(["--db", ":memory:", "--interval", "5s", "--walk-interval", "5s"]);
  try {
    const url = `${s.url}/metrics`;
    await sleep(12_000);
    const walks = async (): Promise<number> => metricValue((await getText(url)).text, "cgleak_walks_total") ?? 0;
    const [w0, c0] = [await walks(), cpuSeconds(s.proc.pid!)];
    await sleep(30_000);
    const [w1, c1] = [await walks(), cpuSeconds(s.proc.pid!)];
    // A walk ends a little after its tick, so the next tick finds it not yet due: 6 ticks, 3 walks.
    return { seconds: (c1 - c0 - 6 * idleTickS) / Math.max(1, w1 - w0), walks: w1 - w0 };
  } finally {
    await s.stop();
  }
}

async function main(): Promise<void> {
  build();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-bench-serve-"));
  const cg = await startServe(["--db", path.join(dir, "cgleak.db")]); // default --interval 30s, --walk-interval 5m
  const ne = await nodeExporter();
  try {
    const cgUrl = `${cg.url}/metrics`;
    await sleep(35_000); // one default interval: the first ticks' compilation is not steady state
    const first = await getText(cgUrl);
    const walks0 = metricValue(first.text, "cgleak_walks_total") ?? 0;
    const live = metricValue(first.text, 'cgleak_memcg_cgroups{state="live"}');
    const pids = { cgleak: cg.proc.pid!, node_exporter: ne.proc.pid! };
    const cpu0 = { cgleak: cpuSeconds(pids.cgleak), node_exporter: cpuSeconds(pids.node_exporter) };
    for (let t = 0; t < WINDOW_S; t += 15) {
      await Promise.all([getText(cgUrl), getText(ne.url)]); // as Prometheus would, every 15 s
      await sleep(15_000);
    }
    const perHour = (k: keyof typeof pids): number => ((cpuSeconds(pids[k]) - cpu0[k]) / WINDOW_S) * 3600;
    const idle = { cgleak: perHour("cgleak"), node_exporter: perHour("node_exporter") };
    // Walks the window already held (early ones: other work on this machine moves the counter) count
    // once; the 12 an hour of the default --walk-interval are added from the measured walk time.
    const walked = (metricValue((await getText(cgUrl)).text, "cgleak_walks_total") ?? 0) - walks0;
    const scheduled = Math.max(0, 12 - (walked * 3600) / WINDOW_S);
    const lat = { cgleak: wrk(cgUrl), node_exporter: wrk(ne.url) };
    const rss = { cgleak: rssMb(pids.cgleak), node_exporter: rssMb(pids.node_exporter) };
    const walkS =
      metricValue((await getText(cgUrl)).text, 'cgleak_collector_duration_seconds{collector="walk"}') ?? NaN;
    const walkCpu = await walkCpuSeconds((idle.cgleak / 3600) * 30); // a tick every 30 s
    const cgleakHour = idle.cgleak + scheduled * walkCpu.seconds;
    const line = (
      name: string,
      l: { p50: number; p99: number; rps: number; bad: number },
      cpuH: number,
      r: { now: number; peak: number },
      extra: string,
    ): string =>
      `${name.padEnd(14)} /metrics p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, ${l.rps.toFixed(0)} req/s${l.bad ? ` (${l.bad} non-2xx)` : ""} | CPU ${cpuH.toFixed(2)} s/h (${((cpuH / 3600) * 100).toFixed(3)} % of a core) | RSS ${r.now.toFixed(0)} MB (peak ${r.peak.toFixed(0)} MB)${extra}\n`;
    process.stdout.write(
      `${live} live memcgs; CPU over ${WINDOW_S} s, scraped every 15 s; wrk -t2 -c50 -d10s on loopback; load average ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} on ${os.cpus().length} CPUs\n`,
    );
    process.stdout.write(
      line(
        "cgleak serve",
        lat.cgleak,
        cgleakHour,
        rss.cgleak,
        ` [measured ${idle.cgleak.toFixed(2)} s/h incl. ${walked} early walks + ${scheduled.toFixed(0)} walks/h x ${(walkCpu.seconds * 1000).toFixed(0)} ms CPU (${walkCpu.walks} walks measured); a walk took ${(walkS * 1000).toFixed(0)} ms, logs included: a scrape waits at most that]`,
      ),
    );
    process.stdout.write(
      line(
        "node_exporter",
        lat.node_exporter,
        idle.node_exporter,
        rss.node_exporter,
        " [--collector.cgroups only, --web.max-requests=0: its default 40 answers 503 to 50 clients]",
      ),
    );
  } finally {
    ne.proc.kill("SIGTERM");
    await cg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const skip = needsRootMemcgV1();
if (skip) {
  process.stdout.write(`skipped: ${skip}\n`);
} else {
  process.on("SIGINT", () => {
    removeCgroupTree(root);
    process.exit(130);
  });
  try {
    await main();
  } finally {
    removeCgroupTree(root);
  }
}
