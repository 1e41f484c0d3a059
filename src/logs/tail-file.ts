import * as fs from "node:fs";
import { LineSplitter, openRegular } from "./reader.js";
import { SignatureStream, type LineHit } from "./stream.js";
import { windowStart } from "./tail-window.js";
import { countLines, mark, refuseGzip, rotatedTo, type Open } from "./tail-fs.js";

/** As a read stream's: larger chunks make much larger strings to split, and were slower (1 MiB: 3x). */
const CHUNK = 64 * 1024;

/**
 * One log file read a piece at a time: each read() takes only the bytes appended since the last
 * one. The same (dev, inode) grown: read on from the offset. Another inode (rotated by rename):
 * the old file is finished where it now lives (`messages.1`, `messages-20250101`; never a .gz),
 * then the new one is read from 0. Shrunk, or the bytes before the offset changed (copytruncate):
 * read again from 0. The first read ever starts at windowStart, not at 0. What a full read would
 * match, line by line, the hits say, with the file's own line numbers.
 */
export class FileTail {
  private cur: Open | null = null;
  private at: { dev: number; ino: number; offset: number; mark: Buffer } | null = null;
  private lines = this.splitter();
  private stream = new SignatureStream();
  private start = 0;
  private base: number | null = 0;
  private seen = false;
  private onHit: (hit: LineHit) => void = () => {};
  private count = 0;

  constructor(readonly path: string) {}

  /** Reads what is new; returns the lines read. Throws the open's error (ENOENT, ENOTREG) as is. */
  read(window: { since: Date; now: Date }, onHit: (hit: LineHit) => void): number {
    this.onHit = onHit;
    const f = openRegular(this.path);
    const before = this.count;
    try {
      this.follow(f, window);
      this.readRange(f);
    } finally {
      fs.closeSync(f.fd);
    }
    return this.count - before;
  }

  private follow(f: Open, window: { since: Date; now: Date }): void {
    const at = this.at;
    if (at && (at.dev !== f.dev || at.ino !== f.ino)) this.finishRotated(at);
    else if (at && (f.size < at.offset || !at.mark.equals(mark(f.fd, at.offset)))) this.endFile();
    if (this.at) return;
    refuseGzip(f.fd);
    this.start = this.seen ? 0 : windowStart(f.fd, f.size, window.since, window.now);
    this.base = this.start === 0 ? 0 : null;
    this.seen = true;
    this.at = { dev: f.dev, ino: f.ino, offset: this.start, mark: mark(f.fd, this.start) };
  }

  private readRange(f: Open): void {
    const at = this.at as NonNullable<FileTail["at"]>;
    const buf = Buffer.alloc(Math.min(CHUNK, Math.max(f.size - at.offset, 1)));
    this.cur = f;
    for (let n = 1; at.offset < f.size && n > 0; at.offset += n) {
      n = fs.readSync(f.fd, buf, 0, Math.min(buf.length, f.size - at.offset), at.offset);
      this.lines.push(buf.subarray(0, n));
    }
    at.mark = mark(f.fd, at.offset);
    this.cur = null;
  }

  /** Finishes the rotated file if it still sits beside the log under another name. */
  private finishRotated(at: { dev: number; ino: number }): void {
    const old = rotatedTo(this.path, at);
    if (old) {
      try {
        this.readRange(old);
      } finally {
        fs.closeSync(old.fd);
      }
    }
    this.endFile();
  }

  /** The file is done: its last line without a newline, and what waited for more lines, count now. */
  private endFile(): void {
    this.lines.end();
    for (const hit of this.stream.end()) this.hit(hit);
    this.lines = this.splitter();
    this.stream = new SignatureStream();
    this.at = null;
  }

  private splitter(): LineSplitter {
    return new LineSplitter((line) => {
      this.count += 1;
      for (const hit of this.stream.push(line)) this.hit(hit);
    });
  }

  private hit(h: LineHit): void {
    // Line numbers of a file first read from its window: the lines skipped are counted once, on a hit.
    if (this.base === null) this.base = this.cur ? countLines(this.cur.fd, this.start) : 0;
    this.onHit({ ...h, lineNumber: h.lineNumber + this.base });
  }
}
