import { Command, InvalidArgumentError, Option } from "commander";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KubeSink } from "../kube/sink.js";
import type { ServeReapOptions } from "../serve/reap.js";
import { Host } from "../host/host.js";
import { addScanOptions, scanOptions, type ScanFlags } from "./scan.js";
import { durationArg } from "./options.js";
import type { Exit } from "./common.js";
import { keepYoungGenerationSmall } from "../serve/heap.js";

// Before the daemon's modules load: loading them is what first grows V8's young generation.
keepYoungGenerationSmall();

/**
 * Port 19597: every port in the exporters' registry range 9100-9999 is allocated (since 2023) and
 * new allocations continue upward from 10000, next to Kubernetes' own 10248-10259; 19597 is far
 * from both, outside NodePorts (30000-32767) and the ephemeral range, and in no /etc/services.
 */
export const DEFAULT_PORT = 19597;

interface ServeFlags extends ScanFlags {
  allowedHost?: string[];
  listen: { host: string; port: number };
  interval: number;
  walkInterval: number;
  db: string;
  forecastWindow: number;
  dyingDebounce: number;
  kube?: boolean;
  podNames?: boolean;
  taintAt?: "warning" | "critical";
  rebootSentinel?: string;
  trace?: boolean;
  npdStatus?: string;
  problemAt: "warning" | "critical";
  reap?: boolean;
  reapPolicy?: string;
  reapUnder?: string;
  reapStateFile: string;
  reapStatus?: string;
}

/** "host:port", "[v6]:port" or a bare port (loopback); ":port" means every interface, as in Go. */
export function listenArg(v: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(v.trim());
  const port = Number(m?.[2]);
  if (!m || port > 65535)
    throw new InvalidArgumentError(`expected host:port such as 127.0.0.1:${DEFAULT_PORT}, got "${v}"`);
  const host = m[1] === undefined ? "127.0.0.1" : m[1] === "" ? "::" : m[1].replace(/^\[|\]$/g, "");
  return { host, port };
}

function intervalArg(v: string): number {
  const ms = durationArg(v);
  if (ms < 100) throw new InvalidArgumentError(`expected at least 100ms, got "${v}"`);
  return ms;
}

export function register(program: Command, exit: Exit): void {
  addScanOptions(
    program.command("serve").description("watch this node: sample, store, forecast, and serve /metrics and a JSON API"),
  )
    .addOption(
      new Option("--listen <addr>", "address to serve on: host:port, [v6]:port, or :port for every interface")
        .argParser(listenArg)
        .default(listenArg(`127.0.0.1:${DEFAULT_PORT}`), `127.0.0.1:${DEFAULT_PORT}`),
    )
    .addOption(
      new Option("--interval <duration>", "how often to read the cheap counter (/proc/cgroups or cgroup.stat)")
        .argParser(intervalArg)
        .default(30_000, "30s"),
    )
    .addOption(
      new Option("--walk-interval <duration>", "how often to walk the whole tree (sooner when the counter moves)")
        .argParser(intervalArg)
        .default(300_000, "5m"),
    )
    .addOption(
      new Option("--forecast-window <duration>", "how much history the leak rate is fitted on")
        .argParser(durationArg)
        .default(6 * 3_600_000, "6h"),
    )
    .addOption(
      new Option(
        "--dying-debounce <duration>",
        "on kernels that count a memcg as dying from rmdir on (7.1+), alarms count only those dying this long",
      )
        .argParser(durationArg)
        .default(60_000, "60s"),
    )
    .option("--db <path>", "SQLite database of samples (:memory: keeps none)", "/var/lib/cgleak/cgleak.db")
    .option(
      "--kube",
      "keep this node's MemoryCgroupLeak condition up to date (NODE_NAME; in-cluster config or KUBECONFIG)",
    )
    .option(
      "--pod-names",
      "with --kube: list and watch this node's pods to name the pod and owner of each pin (needs pods list/watch; --trace --kube does it anyway)",
    )
    .addOption(
      new Option(
        "--taint-at <level>",
        "with --kube: taint the node NoSchedule (cgleak.io/memcg-exhaustion) from this level on",
      ).choices(["warning", "critical"]),
    )
    .option(
      "--reboot-sentinel <path>",
      "write this file while only a reboot can recover the node (kured's --reboot-sentinel), remove it otherwise",
    )
    .option(
      "--npd-status <path>",
      "keep node-problem-detector's status file here: `cgleak check`'s exit code and line, rewritten every --interval (deploy/node-problem-detector)",
    )
    .addOption(
      new Option("--problem-at <level>", "with --npd-status: lowest status that counts as a problem")
        .choices(["warning", "critical"])
        .default("warning"),
    )
    .option(
      "--allowed-host <name...>",
      "host names the page and /api answer to, besides IP addresses and localhost (a DNS-rebinding guard)",
    )
    .option(
      "--trace",
      "name the dying memcgs from the kernel's cgroup tracepoints (root; a private tracefs instance): /api/dying",
    )
    .option("--reap", "free dying memcgs continuously, where they are, paced and guarded (root; docs/reap.md)")
    .option(
      "--reap-policy <file>",
      "with --reap: the policy as JSON (targets, budget, interval, PSI thresholds; a ConfigMap key)",
    )
    .option("--reap-under <cgroup>", "with --reap: touch nothing outside this cgroup (e.g. kubepods)")
    .option(
      "--reap-state-file <path>",
      "with --reap: where a lowered limit is written down first, restored at start-up after a crash",
      "/var/lib/cgleak/reap-state.json",
    )
    .option(
      "--reap-status <file>",
      "show the reaper that runs in another process (cgleak reap --every --status-file FILE): " +
        "/api/reap, the page, /metrics",
    )
    .action(async (f: ServeFlags) => {
      const where = f.listen;
      const usage = (line: string): void => {
        process.stderr.write(`cgleak serve: ${line}\n`);
        exit(2);
      };
      if (f.taintAt !== undefined && f.kube !== true) return usage("--taint-at needs --kube");
      if (f.podNames === true && f.kube !== true) return usage("--pod-names needs --kube");
      if (f.reap === true && f.reapStatus !== undefined) {
        return usage("--reap-status shows a reaper in another process: not with --reap");
      }
      if (f.trace === true && process.geteuid?.() !== 0)
        return usage("--trace needs root: it creates a tracefs instance for the cgroup tracepoints");
      for (const [flag, file] of [
        ["--reboot-sentinel", f.rebootSentinel],
        ["--npd-status", f.npdStatus],
      ] as const) {
        if (file !== undefined && !isDir(path.dirname(path.resolve(file))))
          return usage(`${flag}: the directory ${path.dirname(path.resolve(file))} does not exist`);
      }
      const { unfitPlace } = await import("../store/place.js");
      const unfit = unfitPlace(f.db);
      if (unfit !== null) return usage(`--db: ${unfit}`);
      let unlock = (): void => {};
      if (f.db !== ":memory:") {
        const { lockDatabase } = await import("../store/lock.js");
        fs.mkdirSync(path.dirname(path.resolve(f.db)), { recursive: true });
        const lock = lockDatabase(f.db);
        if (typeof lock === "string") return usage(`--db: ${lock}`);
        unlock = lock;
        process.once("exit", () => unlock());
      }
      // Listen for the signals before starting, so a SIGTERM during start-up still stops cleanly.
      const stop = new Promise<string>((resolve) => {
        for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => resolve(s));
      });
      const { startDaemon } = await import("./serve-wire.js");
      const log = (line: string): void =>
        void process.stderr.write(`cgleak serve: ${new Date().toISOString()} ${line}\n`);
      let kube: KubeSink | null = null;
      if (f.kube === true) {
        const { openKubeSink, StartupError } = await import("../serve/kube-start.js");
        const k = await openKubeSink(f.taintAt ?? null, log).catch((err: unknown) => {
          if (err instanceof StartupError) return err;
          throw err;
        });
        if (k instanceof Error) return usage(k.message);
        kube = k.sink;
        log(`kube: node ${k.node}, config from ${k.source}${f.taintAt ? `, taint from ${f.taintAt}` : ""}`);
      }
      let reap: ServeReapOptions | null = null;
      if (f.reap === true) {
        const r = await (
          await import("../serve/reap.js")
        ).openServeReaper(
          new Host(f.hostRoot),
          {
            ...(f.reapPolicy ? { policyFile: f.reapPolicy } : {}),
            ...(f.reapUnder ? { under: f.reapUnder } : {}),
            stateFile: f.reapStateFile,
            kube: kube !== null,
          },
          log,
        );
        if (typeof r === "string") {
          kube?.close();
          return usage(r);
        }
        reap = r;
      } else if (f.reapPolicy !== undefined || f.reapUnder !== undefined)
        return usage("--reap-policy and --reap-under need --reap");
      const d = await startDaemon({
        host: new Host(f.hostRoot),
        scan: scanOptions(f),
        listenHost: where.host,
        port: where.port,
        intervalMs: f.interval,
        walkIntervalMs: f.walkInterval,
        windowMs: f.forecastWindow,
        dyingDebounceMs: f.dyingDebounce,
        db: f.db,
        version: packageVersion(),
        log,
        node: nodeName(f.hostRoot),
        kube,
        sentinel: f.rebootSentinel ?? null,
        trace: f.trace === true,
        podNames: f.podNames === true,
        reap,
        npdStatus: f.npdStatus === undefined ? null : { file: f.npdStatus, problemAt: f.problemAt },
        allowedHosts: f.allowedHost ?? [],
        reapStatus: f.reapStatus ?? null,
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.name === "TracefsUnavailable") {
          kube?.close();
          usage(`--trace: ${err.message}`);
          return undefined;
        }
        if (err.syscall !== "listen") throw err;
        process.stderr.write(
          `cgleak: cannot listen on ${where.host}:${where.port}: ${err.code === "EADDRINUSE" ? "the address is in use" : err.message}\n`,
        );
        return null;
      });
      if (d === undefined) return unlock();
      if (d === null) {
        unlock();
        return exit(1);
      }
      log(
        `listening on http://${d.address.family === "IPv6" ? `[${d.address.address}]` : d.address.address}:${d.address.port}/metrics`,
      );
      const signal = await stop;
      // Stop within 2 s even if a client holds a connection open.
      setTimeout(() => process.exit(0), 1500).unref();
      await d.close();
      unlock();
      log(`${signal}: stopped`);
      exit(0);
    });
}

/**
 * The Kubernetes node (downward API), else this machine's name when it is the host read. Under
 * another --host-root the host's name is not readable: /proc/sys/kernel/hostname answers for the
 * reader's own UTS namespace, and /etc is not mounted.
 */
function nodeName(hostRoot: string): string | null {
  const fromKube = process.env.NODE_NAME?.trim();
  if (fromKube) return fromKube;
  return path.resolve(hostRoot) === "/" ? os.hostname() : null;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
      .version;
  } catch {
    return "unknown";
  }
}
