import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { fileURLToPath } from "node:url";
import { needsRootMemcgV1 } from "./kernel.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
/** The image the tests run: CI's (image/build.sh), else built here on first use. */
export const IMAGE = process.env.CGLEAK_IMAGE ?? "localhost/cgleak:dev";

/**
 * What every podman command needs on this VM (docs/container-image.md): runc refuses
 * podman's default rlimits, there is no systemd to manage cgroups, and no CNI network.
 */
export const PODMAN_BASE = ["--cgroup-manager=cgroupfs"];
export const RUN_BASE = ["--network=host", "--ulimit=nofile=1024:1024", "--ulimit=nproc=1024:1024"];

const has = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

/** Why the image tests cannot run here, or false. */
export function needsPodmanRoot(): string | false {
  const kernel = needsRootMemcgV1();
  if (kernel) return kernel;
  if (!has("podman")) return "needs podman (apt-get install podman)";
  if (spawnSync("podman", ["image", "exists", IMAGE]).status === 0) return false;
  if (!has("mmdebstrap") || !has("npm"))
    return `no image ${IMAGE}, and mmdebstrap and npm are needed to build it (image/build.sh)`;
  return false;
}

/** Builds the image (and its local base) when CI has not; throws with the build's output on failure. */
export function ensureImage(): void {
  if (spawnSync("podman", ["image", "exists", IMAGE]).status === 0) return;
  const r = spawnSync("bash", [path.join(REPO, "image/build.sh"), IMAGE], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`image/build.sh failed (${r.status}): ${r.stderr.slice(-2000)}`);
}

export function podman(args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync("podman", [...PODMAN_BASE, ...args], { encoding: "utf8", input, timeout: 180_000 });
}

/** podman run (or exec) that must succeed: its stdout. */
export function podmanOk(args: string[]): string {
  const r = podman(args);
  if (r.status !== 0) throw new Error(`podman ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * podman (cgroupfs) leaves libpod_parent/conmon and libpod_parent in every v1 hierarchy, empty;
 * rmdir only removes an empty cgroup, so one a running container uses stays.
 */
export function removeLibpodParents(): void {
  for (const h of fs.readdirSync("/sys/fs/cgroup")) {
    for (const dir of ["libpod_parent/conmon", "libpod_parent"]) {
      try {
        fs.rmdirSync(path.join("/sys/fs/cgroup", h, dir));
      } catch {
        // absent, or in use by a container someone else runs
      }
    }
  }
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
