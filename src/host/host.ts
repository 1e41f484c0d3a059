import * as fs from "node:fs";
import * as path from "node:path";
import { HostReadError, isVanished } from "./errors.js";

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
      // Pseudo-files report size 0 or 4096, so read to EOF rather than trusting stat.
      return fs.readFileSync(this.path(hostPath), "utf8");
    } catch (err) {
      throw toReadError(hostPath, err);
    }
  }

  /** Reads a text file, or returns undefined when it does not exist (a vanished cgroup, an old kernel). */
  readTextIfExists(hostPath: string): string | undefined {
    try {
      return fs.readFileSync(this.path(hostPath), "utf8");
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
}

export function toReadError(hostPath: string, err: unknown): HostReadError {
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? "EUNKNOWN";
  const detail =
    code === "ENOENT" ? "no such file"
    : code === "EACCES" || code === "EPERM" ? "permission denied"
    : code === "EISDIR" ? "is a directory"
    : code === "ENOTDIR" ? "not a directory"
    : code === "ENAMETOOLONG" ? "the path is too long"
    : code === "ELOOP" ? "too many symbolic links"
    : code === "ERR_INVALID_ARG_VALUE" ? "the path holds a NUL byte"
    : firstLine(e.message);
  return new HostReadError(hostPath, code, detail);
}

function firstLine(s: string | undefined): string {
  return (s ?? "unknown error").split("\n")[0] as string;
}
