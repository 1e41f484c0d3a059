import * as fs from "node:fs";
import type { Host } from "../host/host.js";
import { elfRodata, parseGoBuildInfo } from "../parsers/go-buildinfo.js";
import { versionFromBuildInfo, versionFromStrings } from "../parsers/binary-version.js";
import { parseDpkgStatus } from "../parsers/dpkg-status.js";
import { parseVersion, type Tool, type ToolVersion } from "../parsers/runtime-version.js";

/** Runtime binaries are 10-200 MB; anything larger is not one, and is never read whole. */
const MAX_BINARY = 512 << 20;
const STRING_SCAN = 256 << 20;
const CHUNK = 8 << 20;

/**
 * The tool's version read from the binary's bytes, never by running it: the Go build information
 * (as `go version -m`), else the version string linked into it. `realPath` is already resolved
 * inside the host root; O_NOFOLLOW and O_NONBLOCK keep a swapped link or a FIFO from leading elsewhere.
 */
export function readBinaryVersion(tool: Tool, realPath: string, hostPath: string, magicLink = false): ToolVersion {
  const origin = `${hostPath} (read, not run)`;
  const unknown = (reason: string): ToolVersion => ({ tool, version: "unknown", reason: `${hostPath}: ${reason}`, origin });
  let fd: number;
  try {
    // A /proc/<pid>/exe magic link must be followed: it is how the running file is reached.
    fd = fs.openSync(realPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (magicLink ? 0 : fs.constants.O_NOFOLLOW));
  } catch (err) {
    return unknown(`cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return unknown("not a regular file");
    if (st.size > MAX_BINARY) return unknown(`${st.size} bytes: larger than any runtime binary, not read`);
    const read = (offset: number, length: number) => readAt(fd, offset, length, st.size);
    const bi = parseGoBuildInfo(read, st.size);
    const found = bi && versionFromBuildInfo(tool, bi);
    if (found) return { tool, version: found.version, origin: `${hostPath} (${found.how}, not run)` };
    const strings = scanStrings(tool, read, st.size);
    if (strings && "raw" in strings) return { tool, version: strings, origin: `${hostPath} (version string linked into the binary, not run)` };
    const why = strings ? `several version strings in the binary (${strings.ambiguous.join(", ")})` : bi ? `Go build info (${bi.goVersion}, ${bi.path ?? "no path"}) names no version` : "no Go build info and no version string found";
    return unknown(why);
  } finally {
    fs.closeSync(fd);
  }
}

function scanStrings(tool: Tool, read: (o: number, n: number) => Buffer, size: number): ReturnType<typeof versionFromStrings> {
  // Link-time strings sit in .rodata (1.7 of runc's 8.7 MB); without section headers, the whole file.
  const range = elfRodata(read) ?? { offset: 0, size };
  const end = Math.min(range.offset + range.size, size, range.offset + STRING_SCAN);
  let text = "";
  // Overlapping chunks so a string across a boundary is seen; the candidates are gathered over the whole scan.
  for (let off = range.offset; off < end; off += CHUNK) text += pick(read(off, Math.min(CHUNK + 64, end - off)));
  return versionFromStrings(tool, text);
}

const STARTS = [Buffer.from("\x001.", "latin1"), Buffer.from("\x00v1.", "latin1")];
const VERSION_BYTE = /^[0-9A-Za-z.+~-]*$/;

/** Keeps only NUL-delimited runs that could be versions (found with Buffer.indexOf, in C), so the scan holds kilobytes. */
function pick(chunk: Buffer): string {
  let out = "";
  for (const start of STARTS) {
    for (let i = chunk.indexOf(start); i >= 0; i = chunk.indexOf(start, i + 1)) {
      const end = chunk.indexOf(0, i + 1);
      if (end < 0 || end - i > 62 || end - i < 5) continue;
      const s = chunk.toString("latin1", i + 1, end);
      if (VERSION_BYTE.test(s)) out += `\0${s}\0`;
    }
  }
  return out;
}

function readAt(fd: number, offset: number, length: number, size: number): Buffer {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= size) return Buffer.alloc(0);
  const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset, 16 << 20)));
  const n = fs.readSync(fd, buf, 0, buf.length, offset);
  return buf.subarray(0, n);
}

/** Debian/Ubuntu packages that ship each tool. containerd.io also ships runc, at a version its name does not say. */
const DPKG: Record<string, Tool> = {
  runc: "runc", containerd: "containerd", "containerd.io": "containerd", "docker.io": "dockerd", "docker-ce": "dockerd",
  "moby-engine": "dockerd", kubelet: "kubelet", "cri-o": "crio",
};

/** Versions from dpkg's database; RPM databases (BerkeleyDB/SQLite headers) are not read. */
export function dpkgVersions(host: Host): ToolVersion[] {
  let text: string | undefined;
  try {
    // A FIFO or device planted here would block or never end: only a regular file is read.
    text = fs.statSync(host.path("/var/lib/dpkg/status")).isFile() ? host.readTextIfExists("/var/lib/dpkg/status") : undefined;
  } catch {
    return [];
  }
  if (text === undefined) return [];
  const found = parseDpkgStatus(text, new Set(Object.keys(DPKG)));
  return [...found].map(([pkg, raw]): ToolVersion => {
    const origin = `dpkg package ${pkg} ${raw} (/var/lib/dpkg/status)`;
    const version = parseVersion(raw);
    return version ? { tool: DPKG[pkg]!, version, origin } : { tool: DPKG[pkg]!, version: "unknown", reason: `unrecognised package version ${JSON.stringify(raw)}`, origin };
  });
}
