#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { HostReadError, ParseError } from "../host/errors.js";
import { register as registerScan } from "./scan.js";
import { register as registerLogs } from "./logs.js";
import { register as registerTrace } from "./trace.js";
import { register as registerExplain } from "./explain.js";
import { register as registerSimulate } from "./simulate.js";
import { register as registerRepro } from "./repro.js";
import { register as registerReclaim } from "./reclaim.js";
import { register as registerCleanEmpty } from "./clean-empty.js";

/**
 * The composition root. Exit codes: 0 the command ran (whatever the node's status), 1 the host
 * could not be read, 2 a usage error, 3 --fail-on matched.
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
  registerScan(program, exit);
  registerExplain(program, exit);
  registerSimulate(program);
  registerRepro(program, exit);
  registerReclaim(program, exit);
  registerCleanEmpty(program, exit);
  registerLogs(program);
  registerTrace(program, exit);
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
  if (err instanceof ParseError || err instanceof HostReadError) {
    process.stderr.write(`cgleak: ${err.message}\n`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "EACCES" || e?.code === "EPERM" || e?.code === "ENOENT") {
    process.stderr.write(`cgleak: ${e.message}\n`);
    return 1;
  }
  process.stderr.write(`cgleak: unexpected error: ${e?.stack ?? String(err)}\n`);
  return 1;
}

// Commands that set process.exitCode themselves (logs) keep it unless main has a code of its own.
const code = await main(process.argv);
process.exitCode = code !== 0 ? code : (process.exitCode ?? 0);
