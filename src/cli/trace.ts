import { InvalidArgumentError, Option, type Command } from "commander";
import { Host } from "../host/host.js";
import { dyingTracer } from "../actions/tracer.js";
import { TracefsUnavailable } from "../host/tracefs.js";
import { kernelDyingMemcgs } from "../collect/dying-count.js";
import { traceReport, renderTraceText } from "../sinks/trace-text.js";
import { durationArg } from "./options.js";
import type { PodSource } from "../kube/pod-cache.js";
import { hostRootOption, type Exit } from "./common.js";

interface TraceFlags {
  hostRoot: string;
  json?: boolean;
  duration?: number;
  interval: number;
  kube?: boolean;
  instancePrefix: string;
}

/**
 * `cgleak trace [--json] [--duration 30s] [--interval 2s]`: names the dying memcgs live from the
 * cgroup tracepoints, grouped by workload. Runs until --duration or SIGINT/SIGTERM; exit 1 when
 * tracing cannot run here (not root, no tracefs).
 */
export function register(program: Command, exit: Exit = (c) => void (process.exitCode = c)): void {
  program
    .command("trace")
    .description(
      "name the dying memory cgroups as they appear (tracefs cgroup events), grouped by workload, with their age",
    )
    .addOption(hostRootOption())
    .option("--json", "print one JSON report per interval (JSON Lines)")
    .option("--duration <duration>", "stop after this long (default: until Ctrl-C or SIGTERM)", durationArg)
    .addOption(new Option("--interval <duration>", "print every this long").argParser(durationArg).default(2000, "2s"))
    .addOption(
      new Option("--instance-prefix <prefix>", "tracefs instance name prefix (tests: touch no one else's)")
        .argParser(instancePrefix)
        .default("cgleak")
        .hideHelp(),
    )
    .option(
      "--kube",
      "name pods by namespace, name and owner from a cache of this node's pods (NODE_NAME; in-cluster config or KUBECONFIG)",
    )
    .action(async (f: TraceFlags) => {
      let pods: PodSource | null = null;
      try {
        pods = f.kube === true ? await openPods() : null;
        await runTrace(new Host(f.hostRoot), f, pods);
      } catch (err) {
        if (err instanceof KubeStartError) {
          process.stderr.write(`cgleak trace: ${err.message}\n`);
          return exit(2);
        }
        if (!(err instanceof TracefsUnavailable)) throw err;
        process.stderr.write(`cgleak trace: ${err.message}\n`);
        exit(1);
      } finally {
        pods?.stop();
      }
    });
}

class KubeStartError extends Error {}

function instancePrefix(v: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v)) throw new InvalidArgumentError("letters, digits, '.', '_' and '-' only");
  return v;
}

/** The pod cache, started without waiting for the API: the tracer never waits for it. */
async function openPods(): Promise<PodSource> {
  const { kubeConfigSource, StartupError } = await import("../serve/kube-start.js");
  const { PodCache } = await import("../kube/pod-cache.js");
  const { nodeNameFromEnv } = await import("../kube/client.js");
  try {
    kubeConfigSource();
    const cache = new PodCache({
      nodeName: nodeNameFromEnv(),
      log: (l) => process.stderr.write(`cgleak trace: ${l}\n`),
    });
    void cache.start();
    return cache;
  } catch (err) {
    throw new KubeStartError(err instanceof StartupError ? err.message : `--kube: ${(err as Error).message}`);
  }
}

async function runTrace(host: Host, f: TraceFlags, pods: PodSource | null): Promise<void> {
  const log = (l: string): void => void process.stderr.write(`cgleak trace: ${l}\n`);
  const tracer = dyingTracer(host, log, { instancePrefix: f.instancePrefix });
  tracer.on("warning", (msg: string) => process.stderr.write(`cgleak trace: skipped a line: ${msg}\n`));
  tracer.on("lost", (l: { count: number }) =>
    process.stderr.write(`cgleak trace: the kernel dropped ${l.count} trace events\n`),
  );
  tracer.start();
  let readerGone = false;
  const print = (): void => {
    // Count first, then drain: the named set then matches the count's moment as closely as it can.
    const kernelDying = readerGone ? null : safeKernelDying(host);
    tracer.poll();
    if (readerGone) return;
    const r = traceReport(tracer.set, tracer.startedAt, Date.now(), kernelDying, pods);
    process.stdout.write(f.json ? JSON.stringify(r) + "\n" : renderTraceText(r));
  };
  await new Promise<void>((resolve) => {
    const timers = [setInterval(print, f.interval)];
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      for (const t of timers) clearInterval(t);
      process.removeListener("SIGINT", finish).removeListener("SIGTERM", finish);
      try {
        print();
      } finally {
        tracer.stop();
        resolve();
      }
    };
    if (f.duration !== undefined) timers.push(setTimeout(finish, f.duration));
    process.on("SIGINT", finish).on("SIGTERM", finish);
    // A closed reader (`| head`) ends tracing like Ctrl-C, without a stack trace.
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      readerGone = true;
      finish();
    });
  });
}

/** The kernel count is context: a failed walk must not stop the tracer. */
function safeKernelDying(host: Host): number | null {
  try {
    return kernelDyingMemcgs(host);
  } catch {
    return null;
  }
}
