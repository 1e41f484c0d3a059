import { InvalidArgumentError, Option, type Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { DEFAULT_POLICY, REAP_METHODS, type ReapMethod, type ReapPolicy } from "../actions/reap-policy.js";
import { countArg, durationArg, ratioArg } from "./options.js";
import { hostRootOption, type Exit } from "./common.js";

const STATE_FILE = "/var/lib/cgleak/reap-state.json";

interface Flags {
  hostRoot: string;
  dryRun?: boolean;
  passes: number;
  targetDying: number;
  targetPinned: number;
  targetIdShare: number;
  budget: number;
  step: number;
  psiMemory: number;
  psiIo: number;
  method: ReapMethod;
  stateFile: string;
  observe: number;
  timeout: number;
  under?: string;
  policy?: string;
  restoreOnly?: boolean;
  yes?: boolean;
  json?: boolean;
  every?: number | true;
  statusFile?: string;
  kube?: boolean;
}

const SIZE_UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** 64M, 1G, 4096: bytes. */
export function sizeArg(v: string): number {
  const m = /^(\d+)([KMGT]?)i?B?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`expected a size such as 64M or 1G, got "${v}"`);
  return Number(m[1]) * (SIZE_UNITS[(m[2] ?? "").toUpperCase()] as number);
}

function percentArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 100)
    throw new InvalidArgumentError(`expected a PSI avg10 between 0 and 100, got "${v}"`);
  return n;
}

/** The policy options, shared with `serve --reap`. */
export function addPolicyOptions(c: Command): Command {
  const d = DEFAULT_POLICY;
  return c
    .addOption(
      new Option("--target-dying <n>", "act while more memcgs than this are dying")
        .argParser(countArg)
        .default(d.targetDying),
    )
    .addOption(
      new Option("--target-pinned <size>", "act while dying memcgs pin more reclaimable page cache than this")
        .argParser(sizeArg)
        .default(d.targetPinnedBytes, "256M"),
    )
    .addOption(
      new Option(
        "--target-id-share <ratio>",
        "where dying memcgs hold IDs (before 4.8, RHEL 7): act past this share of the cap",
      )
        .argParser(ratioArg)
        .default(d.targetIdShare),
    )
    .addOption(
      new Option("--budget <size>", "bytes one pass may ask the kernel to reclaim")
        .argParser(sizeArg)
        .default(d.budgetBytes, "512M"),
    )
    .addOption(
      new Option("--step <size>", "bytes per write (a v1 limit step, a v2 memory.reclaim request)")
        .argParser(sizeArg)
        .default(d.stepBytes, "32M"),
    )
    .addOption(
      new Option("--psi-memory <avg10>", "skip while /proc/pressure/memory some avg10 is above this")
        .argParser(percentArg)
        .default(d.psiMemory),
    )
    .addOption(
      new Option("--psi-io <avg10>", "skip while /proc/pressure/io some avg10 is above this")
        .argParser(percentArg)
        .default(d.psiIo),
    )
    .addOption(
      new Option("--method <m>", "auto (v1 limit, v2 memory-reclaim), limit, force-empty, memory-reclaim, drop-caches")
        .choices(REAP_METHODS as string[])
        .default("auto"),
    )
    .addOption(
      new Option(
        "--state-file <path>",
        "where a lowered limit is written down first, restored at the next start after a crash",
      ).default(STATE_FILE),
    )
    .option("--under <cgroup>", "touch nothing outside this cgroup (e.g. kubepods); default the whole memory hierarchy")
    .addOption(
      new Option("--timeout <duration>", "kill a kernel write (and so stop its reclaim) after this")
        .argParser(durationArg)
        .default(d.writeTimeoutMs, "10s"),
    );
}

export function policyOf(
  f: Pick<
    Flags,
    "targetDying" | "targetPinned" | "targetIdShare" | "budget" | "step" | "psiMemory" | "psiIo" | "method" | "timeout"
  >,
  base: ReapPolicy = DEFAULT_POLICY,
): ReapPolicy {
  return {
    ...base,
    targetDying: f.targetDying,
    targetPinnedBytes: f.targetPinned,
    targetIdShare: f.targetIdShare,
    budgetBytes: f.budget,
    stepBytes: Math.max(4096, f.step),
    psiMemory: f.psiMemory,
    psiIo: f.psiIo,
    method: f.method,
    writeTimeoutMs: f.timeout,
  };
}

export function register(program: Command, exit: Exit): void {
  addPolicyOptions(
    program
      .command("reap")
      .description("free dying memcgs where they are, in bounded steps, guarded by PSI, with the collateral measured"),
  )
    .option("--dry-run", "say what a pass would do, change nothing")
    .addOption(
      new Option("--passes <n>", "passes to run, stopping early once on target or when one frees nothing")
        .argParser(countArg)
        .default(1),
    )
    .addOption(
      new Option("--observe <duration>", "after a pass, how long freeing settles and refaults are counted")
        .argParser(durationArg)
        .default(1500, "1.5s"),
    )
    .option("--policy <file>", "the policy as JSON (as serve --reap-policy); flags given on the command line win")
    .option("--restore-only", "only put back limits a killed reaper left lowered (also done at every start)")
    .option("--yes", "run on a node with a container runtime")
    .option("--json", "print the passes as JSON")
    .addOption(
      new Option(
        "--every [duration]",
        "keep reaping: a pass every duration (default: the policy's interval), backing off when one frees nothing, " +
          "until SIGTERM",
      ).argParser(durationArg),
    )
    .option(
      "--status-file <path>",
      "with --every: write the totals and last passes here after each pass (what serve --reap-status shows)",
    )
    .option(
      "--kube",
      "with --every: an Event on this node (NODE_NAME) for each pass that acted or found only unreclaimable pins",
    )
    .addOption(hostRootOption())
    .action(async (f: Flags, cmd: Command) => {
      const host = new Host(f.hostRoot);
      const say = (line: string): void => void process.stderr.write(`cgleak reap: ${line}\n`);
      if (f.restoreOnly) {
        const { LimitJournal } = await import("../actions/reap-state.js");
        for (const line of await new LimitJournal(f.stateFile).restoreAll(f.timeout)) say(line);
        return;
      }
      const { runReap } = await import("../actions/reap-run.js");
      let policy: ReapPolicy;
      try {
        policy = await policyFrom(f, cmd);
      } catch (err) {
        say((err as Error).message);
        return exit(2);
      }
      if (f.every !== undefined) return loop(host, f, policy, say, exit);
      if (f.statusFile !== undefined || f.kube === true) {
        say("--status-file and --kube need --every");
        return exit(2);
      }
      const r = await runReap(host, {
        under: f.under ?? "",
        policy,
        stateFile: f.stateFile,
        dryRun: f.dryRun === true,
        yes: f.yes === true,
        passes: Math.max(1, f.passes),
        observeMs: f.observe,
        say,
      });
      if ("refused" in r) {
        say(r.refused);
        return exit(2);
      }
      if (f.json) return void process.stdout.write(JSON.stringify(r, null, 2) + "\n");
      const { reapText } = await import("../sinks/reap-text.js");
      process.stdout.write(r.map((p, i) => (r.length > 1 ? `pass ${i + 1}\n` : "") + reapText(p)).join("\n"));
    });
}

/** `--every`: the continuous reaper without a server (the deploy's root writer container). */
async function loop(host: Host, f: Flags, policy: ReapPolicy, say: (line: string) => void, exit: Exit): Promise<void> {
  const every = typeof f.every === "number" ? f.every : policy.intervalMs;
  const p: ReapPolicy = { ...policy, intervalMs: every, maxIntervalMs: Math.max(policy.maxIntervalMs, every) };
  if (f.statusFile !== undefined && !fs.existsSync(path.dirname(path.resolve(f.statusFile)))) {
    say(`--status-file: the directory ${path.dirname(path.resolve(f.statusFile))} does not exist`);
    return exit(2);
  }
  const { openReaper } = await import("../actions/reap-run.js");
  const c = await openReaper(host, {
    under: f.under ?? "",
    policy: p,
    stateFile: f.stateFile,
    dryRun: f.dryRun === true,
    yes: f.yes === true,
    observeMs: f.observe,
    say,
  });
  if ("refused" in c) {
    say(c.refused);
    return exit(2);
  }
  const { reapEvery } = await import("./reap-every.js");
  await reapEvery(c, { statusFile: f.statusFile ?? null, kube: f.kube === true, say });
  exit(0);
}

const FLAG_KEYS: Array<[flag: keyof Flags, key: keyof ReapPolicy]> = [
  ["targetDying", "targetDying"],
  ["targetPinned", "targetPinnedBytes"],
  ["targetIdShare", "targetIdShare"],
  ["budget", "budgetBytes"],
  ["step", "stepBytes"],
  ["psiMemory", "psiMemory"],
  ["psiIo", "psiIo"],
  ["method", "method"],
  ["timeout", "writeTimeoutMs"],
];

/** Defaults, then the --policy file, then the flags typed on the command line. */
async function policyFrom(f: Flags, cmd: Command): Promise<ReapPolicy> {
  if (f.policy === undefined) return policyOf(f);
  const { readPolicyFile } = await import("../actions/reap-policy-file.js");
  const fromFile = readPolicyFile(f.policy);
  const typed = policyOf(f);
  const out: Record<string, unknown> = { ...fromFile };
  for (const [flag, key] of FLAG_KEYS) if (cmd.getOptionValueSource(flag) === "cli") out[key] = typed[key];
  return out as unknown as ReapPolicy;
}
