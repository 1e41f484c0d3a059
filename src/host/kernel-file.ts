import * as fs from "node:fs";
import { HostReadError } from "./errors.js";

/** The most a kernel file cgleak reads may hold: a big node's mountinfo is well under 1 MiB. */
export const MAX_KERNEL_FILE = 16 * 1024 * 1024;

const CHUNK = 64 * 1024;
let chunk: Buffer | undefined;

/**
 * Reads a kernel file to EOF (pseudo-files report size 0 or 4096, so stat's size means nothing),
 * refusing what no kernel file is: a FIFO or a device would block or never end (/dev/zero), and
 * more than MAX_KERNEL_FILE bytes would only cost memory. O_NONBLOCK keeps the open of a FIFO
 * from waiting for a writer; fstat then tells what was opened, without a second lookup.
 */
export function readKernelFile(file: string, max = MAX_KERNEL_FILE): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    if (!st.isFile()) throw Object.assign(new Error(`not a regular file (${kindOf(st)})`), { code: "ENOTREG" });
    chunk ??= Buffer.allocUnsafe(CHUNK);
    const parts: Buffer[] = [];
    let total = 0;
    for (let n = fs.readSync(fd, chunk, 0, CHUNK, null); n > 0; n = fs.readSync(fd, chunk, 0, CHUNK, null)) {
      total += n;
      if (total > max)
        throw Object.assign(new Error(`larger than ${max / 1024 / 1024} MiB, which no kernel file here is`), {
          code: "ETOOBIG",
        });
      parts.push(Buffer.from(chunk.subarray(0, n)));
    }
    return parts.length === 1 ? (parts[0] as Buffer).toString("utf8") : Buffer.concat(parts, total).toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}

function kindOf(st: fs.Stats): string {
  return st.isFIFO()
    ? "a FIFO"
    : st.isCharacterDevice()
      ? "a character device"
      : st.isBlockDevice()
        ? "a block device"
        : st.isSocket()
          ? "a socket"
          : "not a file";
}

export function toReadError(hostPath: string, err: unknown): HostReadError {
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? "EUNKNOWN";
  const detail =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : code === "EISDIR"
          ? "is a directory"
          : code === "ENOTDIR"
            ? "not a directory"
            : code === "ENAMETOOLONG"
              ? "the path is too long"
              : code === "ELOOP"
                ? "too many symbolic links"
                : code === "ERR_INVALID_ARG_VALUE"
                  ? "the path holds a NUL byte"
                  : code === "ENOTREG" || code === "ETOOBIG"
                    ? (e.message as string)
                    : firstLine(e.message);
  return new HostReadError(hostPath, code, detail);
}

function firstLine(s: string | undefined): string {
  return (s ?? "unknown error").split("\n")[0] as string;
}
