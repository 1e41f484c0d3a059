import * as fs from "node:fs";

/** An open host file read at offsets: a runtime binary, read statically (never run). */
export interface BinaryFile {
  readonly size: number;
  /** Up to `length` bytes (at most 16 MiB) at `offset`; empty past the end. */
  read(offset: number, length: number): Buffer;
  close(): void;
}

/**
 * Opens a regular file for reading at offsets. O_NOFOLLOW (unless `follow`: a /proc/<pid>/exe magic
 * link must be followed, it is how the running file is reached) keeps a link swapped in after
 * resolution from leading elsewhere; O_NONBLOCK keeps a FIFO from blocking the open.
 * Throws an errno error (ENOTREG when it is not a regular file).
 */
export function openBinaryFile(real: string, follow: boolean): BinaryFile {
  const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(real, O_RDONLY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw Object.assign(new Error("not a regular file"), { code: "ENOTREG" });
  }
  const read = (offset: number, length: number): Buffer => readAt(fd, offset, length, st.size);
  return { size: st.size, read, close: () => fs.closeSync(fd) };
}

function readAt(fd: number, offset: number, length: number, size: number): Buffer {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= size) return Buffer.alloc(0);
  const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset, 16 << 20)));
  const n = fs.readSync(fd, buf, 0, buf.length, offset);
  return buf.subarray(0, n);
}

/** The first `max` bytes of a small pseudo-file (/proc/<pid>/comm), not following a link, refusing a non-file. */
export function readHead(real: string, max: number): string {
  const fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  try {
    if (!fs.fstatSync(fd).isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOTREG" });
    const buf = Buffer.alloc(max);
    return buf.toString("utf8", 0, fs.readSync(fd, buf, 0, buf.length, 0));
  } finally {
    fs.closeSync(fd);
  }
}
