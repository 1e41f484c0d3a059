import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

/** The repository's testdata/, found from src/ and from dist/ alike. */
export const TESTDATA = fileURLToPath(new URL("../../testdata/", import.meta.url));

/** The CLI as built and shipped (the bundle, src/build/bundle.ts), run the way a user runs it. */
export const CLI = fileURLToPath(new URL("../cli/cgleak.cjs", import.meta.url));

export function fixtureRoot(name: string): string {
  return path.join(TESTDATA, "hosts", name);
}

/** Copies a fixture host into a fresh temp dir so a test may change it. */
export function copyFixture(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cgleak-fixture-${name.replace(/\W/g, "_")}-`));
  fs.cpSync(fixtureRoot(name), dir, { recursive: true });
  return dir;
}

/** Sets num_cgroups of the memory line in a copied fixture's /proc/cgroups (the kernel's live + dying memcgs). */
export function setMemcgTotal(root: string, total: number): void {
  const file = path.join(root, "proc/cgroups");
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^(memory\t\d+\t)\d+/m, `$1${total}`));
}

/** Writes a host from a map of host paths to contents; directories end with "/". */
export function tempHost(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-host-"));
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    if (rel.endsWith("/")) {
      fs.mkdirSync(p, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return dir;
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
