#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { isHostError } from "../host/errors.js";
import type { Exit } from "./common.js";

type Register = (program: Command, exit: Exit) => void;

/**
 * Every command, in the order `cgleak --help` lists them. Each is loaded only when it runs (or for
 * help): a node takes ~0.1 s to start, and `cgleak scan` should not pay for serve's or trace's modules.
 */
const COMMANDS: Record<string, () => Promise<{ register: Register }>> = {
  scan: () => import("./scan.js"),
  explain: () => import("./explain.js"),
  serve: () => import("./serve.js"),
  forecast: () => import("./forecast.js"),
  check: () => import("./check.js"),
  fleet: () => import("./fleet.js"),
  simulate: () => import("./simulate.js"),
  repro: () => import("./repro.js"),
  reclaim: () => import("./reclaim.js"),
  reap: () => import("./reap.js"),
  "clean-empty": () => import("./clean-empty.js"),
  logs: () => import("./logs.js"),
  trace: () => import("./trace.js"),
};

/**
 * The composition root. Exit codes: 0 the command ran (whatever the node's status), 1 the host
 * could not be read, 2 a usage error, 3 --fail-on matched (check has its own, for
 * node-problem-detector and kured).
 */
async function main(argv: string[]): Promise<number> {
  let code = 0;
  const exit = (c: number): void => {
    code = c;
  };
  const program = new Command("cgleak")
    .description("finds, explains, forecasts, reproduces and stops memory-cgroup leaks")
    .version(process.env.npm_package_version ?? "0.1.0")
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s) });
  const named = argv[2] !== undefined && argv[2] in COMMANDS ? [argv[2]] : Object.keys(COMMANDS);
  for (const name of named) (await COMMANDS[name]!()).register(program, exit);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    return failure(err);
  }
  return code;
}

function failure(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? 0 : 2;
  }
  if (isHostError(err)) {
    process.stderr.write(`cgleak: ${err.message}\n`);
    return 1;
  }
  // Anything else still gets one line: a stack trace is for whoever debugs cgleak, on request.
  const e = err as NodeJS.ErrnoException | undefined;
  const first = (e?.message ?? String(err)).split("\n")[0];
  if (typeof e?.code === "string" && e.code.startsWith("E")) {
    process.stderr.write(`cgleak: ${first}\n`);
  } else {
    process.stderr.write(`cgleak: unexpected error: ${first} (CGLEAK_DEBUG=1 prints where)\n`);
  }
  if (process.env.CGLEAK_DEBUG) process.stderr.write(`${e?.stack ?? ""}\n`);
  return 1;
}

// Commands that set process.exitCode themselves (logs) keep it unless main has a code of its own.
// No top-level await: the bin is this module bundled as CommonJS (src/build/bundle.ts).
void main(process.argv).then((code) => {
  process.exitCode = code !== 0 ? code : (process.exitCode ?? 0);
});
