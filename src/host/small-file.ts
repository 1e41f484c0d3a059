import * as fs from "node:fs";
import { isVanished, ParseError } from "./errors.js";

const BUF = Buffer.allocUnsafe(16 * 1024);

/**
 * A small kernel file in one open, read and close: the pin descent reads one per memcg on the pinned
 * paths, and readFileSync's fstat and second read cost as much again. A cgroup file's read returns
 * less than asked only at its end. `file` is what is opened (maybe relative to the working
 * directory), `name` the host path errors say. undefined when the cgroup vanished.
 */
export function readSmallFile(file: string, name: string): string | undefined {
  let fd: number;
  try {
    // O_NONBLOCK and a type check: a FIFO or device planted where memory.stat belongs is refused, never waited on.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    if (isVanished(err) || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw err;
  }
  try {
    if (!fs.fstatSync(fd).isFile()) {
      throw new ParseError(name, 0, "expected a regular file (a kernel interface file), found something else");
    }
    const n = fs.readSync(fd, BUF, 0, BUF.length, null);
    if (n < BUF.length) return BUF.toString("latin1", 0, n);
    return BUF.toString("latin1", 0, n) + fs.readFileSync(fd, "latin1");
  } catch (err) {
    if (isVanished(err)) return undefined;
    throw err;
  } finally {
    fs.closeSync(fd);
  }
}
