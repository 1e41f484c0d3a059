import { createInterface } from "node:readline/promises";
import { InvalidArgumentError, type Command } from "commander";
import { Host } from "../host/host.js";
import { formatBytes, formatCount } from "../analyze/format.js";
import type { ReclaimAction } from "../actions/reclaim.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { hostRootOption, type Exit } from "./common.js";

interface Flags {
  hostRoot: string;
  dropCaches?: boolean;
  forceEmpty?: string;
  memoryReclaim?: string[];
  yes?: boolean;
  withProcesses?: boolean;
  json?: boolean;
}

export function register(program: Command, exit: Exit): void {
  program
    .command("reclaim")
    .description("free dying memcgs without a reboot and say what was freed")
    .option(
      "--drop-caches",
      "sync, then drop the page cache of the whole node (global and blunt: every workload re-reads its files)",
    )
    .option("--force-empty <path>", "v1: empty a live parent's charges, freeing the dying children that pin them")
    .option(
      "--memory-reclaim <path-and-bytes...>",
      "v2: ask a cgroup to reclaim BYTES (e.g. 1G): --memory-reclaim PATH BYTES",
    )
    .option("--yes", "do not ask before dropping the node's caches or emptying a cgroup")
    .option(
      "--with-processes",
      "--force-empty a cgroup even though processes run in it or below it (they lose their page cache)",
    )
    .option("--json", "print the report as JSON")
    .addOption(hostRootOption())
    .action(async (f: Flags) => {
      const chosen = [f.dropCaches, f.forceEmpty, f.memoryReclaim].filter((x) => x !== undefined).length;
      if (chosen !== 1)
        return fail(exit, "choose exactly one of --drop-caches, --force-empty PATH, --memory-reclaim PATH BYTES");
      if (process.getuid?.() !== 0) return fail(exit, "needs root to write cgroup and /proc/sys files");
      const host = new Host(f.hostRoot);
      const { collectNode } = await import("../collect/node.js");
      const { reclaim } = await import("../actions/reclaim.js");
      const node = collectNode(host);
      if (node.memory === null) return fail(exit, "no cgroup hierarchy has the memory controller");
      const h = node.memory;
      if (f.dropCaches) {
        process.stderr.write(
          "drop_caches is global: it empties the page cache of every workload on this node, which then re-reads its files from disk.\n",
        );
        if (!f.yes && !(await confirm("Drop the caches now? [y/N] ")))
          return fail(exit, "not confirmed (pass --yes to skip the question)");
      }
      let action: ReclaimAction;
      try {
        action = f.dropCaches
          ? { kind: "drop-caches" }
          : f.forceEmpty !== undefined
            ? { kind: "force-empty", rel: relOf(f.forceEmpty, h.mountPoint) }
            : memoryReclaim(f.memoryReclaim ?? [], h.mountPoint);
      } catch (err) {
        return fail(exit, (err as Error).message);
      }
      if (action.kind !== "drop-caches" && !host.exists(`${h.mountPoint}/${action.rel}`))
        return fail(exit, `no such cgroup: ${h.mountPoint}/${action.rel}`);
      if (action.kind === "force-empty" && h.version !== 1)
        return fail(exit, "memory.force_empty exists only on cgroup v1; use --memory-reclaim PATH BYTES");
      if (action.kind === "memory-reclaim" && h.version !== 2)
        return fail(exit, "memory.reclaim exists only on cgroup v2; use --force-empty PATH or --drop-caches");
      if (action.kind === "force-empty") {
        const why = await forceEmptyRefused(host, h, action.rel, f);
        if (why !== undefined) return fail(exit, why);
      }
      let r: Awaited<ReturnType<typeof reclaim>>;
      try {
        r = reclaim(host, h, action);
      } catch (err) {
        return fail(exit, unwritable(err as NodeJS.ErrnoException));
      }
      if (f.json) return void process.stdout.write(JSON.stringify(r, null, 2) + "\n");
      const pinned = (b: number | null): string => (b === null ? "unknown" : formatBytes(b));
      process.stdout.write(
        [
          `${r.action}  (${r.seconds.toFixed(2)} s)${r.note ? `: ${r.note}` : ""}`,
          `dying memcgs${h.version === 1 ? " (node-wide: v1 counts no subtree)" : ""}: ${formatCount(r.before.dying)} -> ${formatCount(r.after.dying)}`,
          `pages pinned by dying memcgs (${r.scope}): ${pinned(r.before.pinnedBytes)} -> ${pinned(r.after.pinnedBytes)}`,
        ].join("\n") + "\n",
      );
    });
}

/** A read-only mount (the read-only DaemonSet) or a missing permission, said in one line. */
function unwritable(e: NodeJS.ErrnoException & { file?: string }): string {
  // A raw fs error (path) or the host's HostWriteError (file: the host path): either names its file.
  const where = e.path ?? (e.name === "HostWriteError" ? e.file : undefined);
  if (!e.code || !where) throw e;
  const why =
    e.code === "EROFS"
      ? "it is on a read-only mount (in Kubernetes: the remediation overlay mounts it writable)"
      : e.code;
  return `cannot write ${where}: ${why}`;
}

/**
 * memory.force_empty reclaims everything charged to the subtree: say what, refuse a subtree with
 * processes unless --with-processes, and ask unless --yes. Undefined when it may go ahead.
 */
async function forceEmptyRefused(host: Host, h: CgroupHierarchy, rel: string, f: Flags): Promise<string | undefined> {
  const { eviction } = await import("../actions/reclaim.js");
  const e = eviction(host, h, rel);
  const size = (b: number | null): string => (b === null ? "an unknown amount" : formatBytes(b));
  process.stderr.write(
    `memory.force_empty on ${h.mountPoint}/${rel} evicts the page cache charged to its ${formatCount(e.cgroups)} cgroups (${size(e.cacheBytes)}), ` +
      `which its ${formatCount(e.processes)} processes then re-read from disk; anonymous memory (${size(e.anonBytes)}) goes to swap where there is swap.\n`,
  );
  if (e.processes > 0 && f.withProcesses !== true)
    return `${formatCount(e.processes)} processes run in or below ${h.mountPoint}/${rel}: pass --with-processes to empty it anyway`;
  if (!f.yes && !(await confirm("Empty it now? [y/N] "))) return "not confirmed (pass --yes to skip the question)";
  return undefined;
}

function fail(exit: Exit, msg: string): void {
  process.stderr.write(`cgleak reclaim: ${msg}\n`);
  exit(2);
}

/** A cgroup given as a full path under the mount, or relative to the memory hierarchy's root. */
export function relOf(p: string, mountPoint: string): string {
  const full = p.startsWith(mountPoint + "/") ? p.slice(mountPoint.length + 1) : p.replace(/^\/+/, "");
  const rel = full.replace(/\/+$/, "");
  if (rel === "" || rel.split("/").includes(".."))
    throw new InvalidArgumentError(`expected a cgroup below ${mountPoint}, got "${p}"`);
  return rel;
}

const SIZE_UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

function memoryReclaim(args: string[], mountPoint: string): { kind: "memory-reclaim"; rel: string; bytes: number } {
  const [p, b] = args;
  const m = /^(\d+)([KMGT]?)i?B?$/i.exec(b ?? "");
  if (args.length !== 2 || p === undefined || !m)
    throw new InvalidArgumentError(`expected --memory-reclaim PATH BYTES (e.g. 512M), got "${args.join(" ")}"`);
  return {
    kind: "memory-reclaim",
    rel: relOf(p, mountPoint),
    bytes: Number(m[1]) * (SIZE_UNITS[(m[2] ?? "").toUpperCase()] as number),
  };
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
