import { spawnSync } from "node:child_process";
import { CLI, fixtureRoot, type CliRun } from "./fixtures.js";

export const KUBE_CLI = CLI;

export function runCheck(args: string[]): CliRun {
  const r = spawnSync(process.execPath, [KUBE_CLI, "check", ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function checkFixture(name: string, extra: string[] = []): CliRun {
  return runCheck(["--host-root", fixtureRoot(name), ...extra]);
}
