/** What the tailer asks of the filesystem beside reading: where a rotated file went, whether bytes changed. */
import * as fs from "node:fs";
import * as path from "node:path";
import { openRegular } from "./reader.js";

export type Open = { fd: number; size: number; dev: number; ino: number };
/** Bytes before the offset remembered to notice a file truncated and rewritten past it between two checks. */
const MARK = 64;

/** The MARK bytes before `offset` (fewer near the start). */
export function mark(fd: number, offset: number): Buffer {
  const len = Math.min(MARK, offset);
  const buf = Buffer.alloc(len);
  return buf.subarray(0, fs.readSync(fd, buf, 0, len, offset - len));
}

/** A compressed file has no lines to append to: tailing it would feed the matcher binary. */
export function refuseGzip(fd: number): void {
  const magic = Buffer.alloc(2);
  fs.readSync(fd, magic, 0, 2, 0);
  if (magic[0] === 0x1f && magic[1] === 0x8b) {
    throw new Error("gzip-compressed: serve follows live logs; read archives with cgleak logs");
  }
}

/** The file with this (dev, inode) beside `file`, named after it (`messages.1`, `messages-2025...`). */
export function rotatedTo(file: string, at: { dev: number; ino: number }): Open | null {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n !== base && n.startsWith(base) && !n.endsWith(".gz"));
  } catch {
    return null;
  }
  for (const name of names) {
    const st = fs.statSync(path.join(dir, name), { throwIfNoEntry: false });
    if (!st || st.dev !== at.dev || st.ino !== at.ino) continue;
    try {
      return openRegular(path.join(dir, name));
    } catch {
      return null;
    }
  }
  return null;
}

/** Newlines in [0, end): the line number a read started at `end` begins after. */
export function countLines(fd: number, end: number): number {
  const buf = Buffer.alloc(1024 * 1024);
  let lines = 0;
  for (let pos = 0; pos < end;) {
    const n = fs.readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
    if (n === 0) break;
    for (let i = buf.indexOf(10, 0); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) lines++;
    pos += n;
  }
  return lines;
}
