import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import type { Readable } from "node:stream";

/** Longest line kept; the rest of a longer line is dropped so a newline-free file stays bounded. */
export const MAX_LINE = 64 * 1024;

/**
 * Calls onLine for every line of a byte stream, in order, holding at most one chunk and one
 * partial line: a 1 GB log costs the same memory as a 1 KB one. Resolves to the line count;
 * rejects with the stream's error (a corrupt .gz, EISDIR, ...).
 */
export async function eachLine(input: Readable, onLine: (line: string) => void): Promise<number> {
  const decoder = new StringDecoder("utf8");
  let partial = "";
  let count = 0;
  const emit = (line: string): void => {
    count += 1;
    onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  };
  for await (const chunk of input) {
    const text = partial + decoder.write(chunk as Buffer);
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      emit(text.slice(start, nl));
      start = nl + 1;
    }
    partial = text.slice(start);
    if (partial.length > MAX_LINE) partial = partial.slice(0, MAX_LINE);
  }
  partial += decoder.end();
  if (partial !== "") emit(partial);
  return count;
}

/** Opens a plain or gzip-compressed (rotated `.gz`, detected by magic bytes) log file as text bytes. */
export function openLogFile(path: string): Readable {
  if (path === "-") return process.stdin;
  const magic = Buffer.alloc(2);
  const fd = fs.openSync(path, "r");
  try {
    fs.readSync(fd, magic, 0, 2, 0);
  } finally {
    fs.closeSync(fd);
  }
  const file = fs.createReadStream(path, { highWaterMark: 64 * 1024 });
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) return file;
  const gunzip = zlib.createGunzip();
  file.on("error", (err) => gunzip.destroy(err));
  return file.pipe(gunzip);
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
}

/** journalctl's argument list: short-iso carries the year and zone that syslog lines lack. */
export function journalArgs(opts: JournalOptions): string[] {
  const args = ["-o", "short-iso", "--no-pager", "-q"];
  if (opts.since) args.push("--since", journalTime(opts.since));
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
  const child = spawn(command, journalArgs(opts), { stdio: ["ignore", "pipe", "pipe"], env: opts.env ?? process.env });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString("utf8");
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === "ENOENT" ? `${command} not found` : `${command}: ${err.message}`)),
    );
    child.on("close", (code) => resolve(code ?? 1));
  });
  const [count, code] = await Promise.all([eachLine(child.stdout, onLine), exited]);
  if (code !== 0 && count === 0) {
    const why = stderr.trim().split("\n")[0] ?? "";
    throw new Error(`${command} exited with status ${code}${why ? `: ${why}` : ""}`);
  }
  return count;
}
