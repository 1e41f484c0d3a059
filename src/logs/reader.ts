import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import type { Readable } from "node:stream";

/** Longest line kept; the rest of a longer line is dropped so a newline-free file stays bounded. */
export const MAX_LINE = 64 * 1024;

/**
 * Splits bytes into lines across chunks (and across reads, for a tailed file), holding at most one
 * partial line of MAX_LINE characters and an unfinished UTF-8 character.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.partial + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      this.emit(text.slice(start, nl));
      start = nl + 1;
    }
    this.partial = text.slice(start);
    if (this.partial.length > MAX_LINE) this.partial = this.partial.slice(0, MAX_LINE);
  }

  /** The input ended: a last line without a newline is a line too. */
  end(): void {
    const last = this.partial + this.decoder.end();
    this.partial = "";
    if (last !== "") this.emit(last);
  }

  private emit(line: string): void {
    this.onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  }
}

/**
 * Calls onLine for every line of a byte stream, in order, holding at most one chunk and one
 * partial line: a 1 GB log costs the same memory as a 1 KB one. Resolves to the line count;
 * rejects with the stream's error (a corrupt .gz, EISDIR, ...).
 */
export async function eachLine(input: Readable, onLine: (line: string) => void): Promise<number> {
  let count = 0;
  const lines = new LineSplitter((line) => (count++, onLine(line)));
  for await (const chunk of input) lines.push(chunk as Buffer);
  lines.end();
  return count;
}

/** A rotated .gz may inflate to this many times its size, and never past MAX_INFLATED: text logs compress 5-20x. */
export const MAX_INFLATE_RATIO = 50;
export const MIN_INFLATED = 64 * 1024 * 1024;
export const MAX_INFLATED = 2 * 1024 * 1024 * 1024;

/**
 * Opens a plain or gzip-compressed (rotated `.gz`, detected by magic bytes) log file as text bytes.
 * Only a regular file: a FIFO may never end and a device (/dev/zero) never does, so both are
 * refused by what fstat says of the descriptor opened (O_NONBLOCK: a FIFO without a writer does
 * not block the open). stdin ("-") is the way to pipe a log in. A .gz that inflates past
 * MAX_INFLATE_RATIO x its size (at least MIN_INFLATED) is cut off with an error: a bomb, not a log.
 */
export function openLogFile(path: string): Readable {
  if (path === "-") return process.stdin;
  const { fd, size } = openRegular(path);
  const magic = Buffer.alloc(2);
  try {
    fs.readSync(fd, magic, 0, 2, 0);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  const file = fs.createReadStream("", { fd, highWaterMark: 64 * 1024, start: 0 });
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) return file;
  const limit = Math.min(MAX_INFLATED, Math.max(MIN_INFLATED, size * MAX_INFLATE_RATIO));
  const gunzip = zlib.createGunzip();
  file.on("error", (err) => gunzip.destroy(err));
  let out = 0;
  gunzip.on("data", (d: Buffer) => {
    out += d.length;
    if (out > limit)
      gunzip.destroy(
        new Error(
          `inflates past ${Math.round(limit / 1024 / 1024)} MiB (${MAX_INFLATE_RATIO}x its size): a gzip bomb, not a log; stopped`,
        ),
      );
  });
  return file.pipe(gunzip);
}

/**
 * Opens a regular file read-only; anything else (directory, FIFO, device) is refused by what fstat
 * says of the descriptor, so a FIFO without a writer never blocks (O_NONBLOCK) and /dev/zero is never read.
 */
export function openRegular(path: string): { fd: number; size: number; dev: number; ino: number } {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR", syscall: "read" });
    if (!st.isFile())
      throw Object.assign(
        new Error(
          `not a regular file (${st.isFIFO() ? "a FIFO" : st.isCharacterDevice() ? "a character device" : "not a file"}): pipe it to cgleak logs - instead`,
        ),
        { code: "ENOTREG" },
      );
    return { fd, size: st.size, dev: st.dev, ino: st.ino };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

export interface JournalOptions {
  /** The journalctl binary (default "journalctl", looked up in PATH). */
  command?: string;
  since?: Date;
  /** A journal directory (`--directory`). */
  directory?: string;
  /**
   * A host mounted under another root (`--root`): journalctl then reads both its persistent
   * (var/log/journal) and volatile (run/log/journal, CentOS 7's default) journals.
   */
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** Only entries after this cursor (serve's tailer; `since` is then not passed). */
  afterCursor?: string;
  /** Ask for the last entry's cursor as a final `-- cursor: ...` line (systemd 209+). */
  showCursor?: boolean;
  /** journalctl is stopped after this long (default JOURNAL_TIMEOUT_MS): a hung one must not hang serve. */
  timeoutMs?: number;
}

export const JOURNAL_TIMEOUT_MS = 60_000;

/** journalctl's argument list: short-iso carries the year and zone that syslog lines lack. */
export function journalArgs(opts: JournalOptions): string[] {
  const args = ["-o", "short-iso", "--no-pager", "-q"];
  if (opts.afterCursor !== undefined) args.push("--after-cursor", opts.afterCursor);
  else if (opts.since) args.push("--since", journalTime(opts.since));
  if (opts.showCursor) args.push("--show-cursor");
  if (opts.directory) args.push("--directory", opts.directory);
  else if (opts.root) args.push("--root", opts.root);
  return args;
}

/** "YYYY-MM-DD HH:MM:SS" in local time: the form every journalctl version accepts. */
export function journalTime(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Streams `journalctl -o short-iso` through onLine; rejects with a one-line reason on failure. */
export async function eachJournalLine(opts: JournalOptions, onLine: (line: string) => void): Promise<number> {
  const command = opts.command ?? "journalctl";
  const child = spawn(command, journalArgs(opts), {
    stdio: ["ignore", "pipe", "pipe"],
    env: opts.env ?? process.env,
    detached: true,
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString("utf8");
  });
  const timeoutMs = opts.timeoutMs ?? JOURNAL_TIMEOUT_MS;
  let timedOut = false;
  // Its own process group, so a wrapper script's children go too and release the pipe.
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
    child.stdout.destroy();
  }, timeoutMs);
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === "ENOENT" ? `${command} not found` : `${command}: ${err.message}`)),
    );
    child.on("close", (code) => resolve(code ?? 1));
  });
  let lines = 0;
  let result: [number, number] | undefined;
  try {
    result = await Promise.all([eachLine(child.stdout, (l) => (lines++, onLine(l))), exited]);
  } catch (err) {
    if (!timedOut) throw err;
  } finally {
    clearTimeout(timer);
  }
  if (timedOut || result === undefined)
    throw new Error(`${command} did not finish within ${timeoutMs / 1000} s: stopped after ${lines} lines`);
  const [count, code] = result;
  if (code !== 0 && count === 0) {
    const why = stderr.trim().split("\n")[0] ?? "";
    throw new Error(`${command} exited with status ${code}${why ? `: ${why}` : ""}`);
  }
  return count;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
