import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

/** Why tracing cannot run here: one line for the operator. */
export class TracefsUnavailable extends Error {
  override name = "TracefsUnavailable" as const;
}

/**
 * The private tracefs mounts cgleak makes when none is mounted: a temp dir each, named
 * `cgleak-tracefs-<its instance's name>.<6 random>` so a successor can tell whether its maker runs.
 */
export const PRIVATE_PREFIX = "cgleak-tracefs-";

/** True when `mountPoint` is a tracefs root with instances (not a tracefs mounted at a subdirectory). */
export function hasInstances(mountPoint: string): boolean {
  return fs.existsSync(path.join(mountPoint, "instances"));
}

/** Mounts tracefs at a new temp dir: every tracefs mount shows the same instances. */
export function mountPrivate(instanceName: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PRIVATE_PREFIX}${instanceName}.`));
  const r = spawnSync("mount", ["-t", "tracefs", "nodev", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    fs.rmdirSync(dir);
    const why = r.error ? r.error.message : r.stderr.trim();
    throw new TracefsUnavailable(`cannot mount tracefs at ${dir}: ${why}`);
  }
  return dir;
}

/** Unmounts a private mount and removes its directory; false when even a lazy umount failed. */
export function unmountPrivate(dir: string): boolean {
  // Lazy as a fallback: a busy private mount must still leave the mount table on exit.
  const done = spawnSync("umount", [dir]).status === 0 || spawnSync("umount", ["-l", dir]).status === 0;
  try {
    fs.rmdirSync(dir);
  } catch {
    // Still mounted (busy): leave the directory rather than fail the exit path.
  }
  return done;
}

/** The instance names under a tracefs mount. */
export function listInstances(base: string): string[] {
  return fs.readdirSync(path.join(base, "instances"));
}

/**
 * Removes an instance its owner left. Events off first: should the rmdir fail (EBUSY while some
 * process holds its trace_pipe open), the instance at least stops tracing. Throws on failure.
 */
export function removeInstance(base: string, name: string): void {
  const dir = path.join(base, "instances", name);
  tryWrite(path.join(dir, "events", "enable"), "0");
  tryWrite(path.join(dir, "tracing_on"), "0");
  fs.rmdirSync(dir);
}

/** The target of a symbolic link (`/proc/self/ns/pid` reads `pid:[4026531836]`). */
export function readLink(file: string): string {
  return fs.readlinkSync(file);
}

export function tryWrite(file: string, text: string): boolean {
  try {
    fs.writeFileSync(file, text);
    return true;
  } catch {
    return false;
  }
}
