import * as fs from "node:fs";
import * as path from "node:path";
import { HostReadError, isVanished } from "./errors.js";
import { readKernelFile, toReadError } from "./kernel-file.js";
import { openBinaryFile, readHead, type BinaryFile } from "./binary-file.js";
import { readSmallFile } from "./small-file.js";
import { realpathUnder } from "./resolve.js";

const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * The host as cgleak sees it: every host file is read through one root, like
 * node_exporter's --path.rootfs. On the host the root is "/", in a DaemonSet it is
 * "/host", in tests a fixture tree. Paths given to a Host are host-absolute
 * ("/proc/cgroups"); the Host resolves them under its root.
 */
export class Host {
  readonly root: string;

  constructor(root = "/") {
    this.root = path.resolve(root);
  }

  /** The real filesystem path of a host-absolute path. */
  path(hostPath: string): string {
    return path.join(this.root, hostPath);
  }

  /** The host-absolute path of a real path under the root (node_exporter's rootfsStripPrefix). */
  hostPath(realPath: string): string {
    const rel = path.relative(this.root, realPath);
    return "/" + rel.split(path.sep).join("/");
  }

  /** Reads a whole text file; throws HostReadError naming the host path. */
  readText(hostPath: string): string {
    try {
      return readKernelFile(this.path(hostPath));
    } catch (err) {
      throw toReadError(hostPath, err);
    }
  }

  /** Reads a text file, or returns undefined when it does not exist (a vanished cgroup, an old kernel). */
  readTextIfExists(hostPath: string): string | undefined {
    try {
      return readKernelFile(this.path(hostPath));
    } catch (err) {
      if (isVanished(err) || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
      throw toReadError(hostPath, err);
    }
  }

  /** A HostReadError about a real path under the root, retold with the host path a user knows. */
  retell(err: unknown): unknown {
    if (!(err instanceof HostReadError) || !err.file.startsWith(this.root)) return err;
    return new HostReadError(this.hostPath(err.file), err.code, err.detail);
  }

  exists(hostPath: string): boolean {
    return fs.existsSync(this.path(hostPath));
  }

  /** The names in a host directory. */
  readDir(hostPath: string): string[] {
    return this.attempt(hostPath, () => fs.readdirSync(this.path(hostPath)));
  }

  stat(hostPath: string): fs.Stats {
    return this.attempt(hostPath, () => fs.statSync(this.path(hostPath)));
  }

  lstat(hostPath: string): fs.Stats {
    return this.attempt(hostPath, () => fs.lstatSync(this.path(hostPath)));
  }

  readLink(hostPath: string): string {
    return this.attempt(hostPath, () => fs.readlinkSync(this.path(hostPath)));
  }

  /** The host path with its symlinks followed inside the root (never out of it); undefined when missing. */
  realpathUnderRoot(hostPath: string): string | undefined {
    return realpathUnder(this.root, hostPath);
  }

  /** True when the host path is a real procfs (magic links like /proc/<pid>/exe work), not a copied tree. */
  isProcfs(hostPath: string): boolean {
    try {
      return fs.statfsSync(this.path(hostPath)).type === PROC_SUPER_MAGIC;
    } catch {
      return false;
    }
  }

  isExecutable(hostPath: string): boolean {
    try {
      fs.accessSync(this.path(hostPath), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }

  /** The first `max` bytes of a small regular file, not following a last-component link. */
  readHead(hostPath: string, max = 4096): string {
    return this.attempt(hostPath, () => readHead(this.path(hostPath), max));
  }

  /** A regular file opened for reads at offsets (a binary read statically); `follow` for magic links. */
  openBinary(hostPath: string, follow = false): BinaryFile {
    return this.attempt(hostPath, () => openBinaryFile(this.path(hostPath), follow));
  }

  /**
   * A small kernel file, or undefined when its cgroup vanished. `openAs` is what to open, when
   * quicker than the full path (relative to a working directory set inside the hierarchy).
   */
  readSmallIfExists(hostPath: string, openAs = this.path(hostPath)): string | undefined {
    try {
      return readSmallFile(openAs, hostPath);
    } catch (err) {
      throw err instanceof Error && err.name === "ParseError" ? err : toReadError(hostPath, err);
    }
  }

  private attempt<T>(hostPath: string, read: () => T): T {
    try {
      return read();
    } catch (err) {
      throw toReadError(hostPath, err);
    }
  }
}
