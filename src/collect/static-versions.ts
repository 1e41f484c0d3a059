import type { Host } from "../host/host.js";
import type { BinaryFile } from "../host/binary-file.js";
import type { HostReadError } from "../host/errors.js";
import { elfRodata, parseGoBuildInfo } from "../parsers/go-buildinfo.js";
import { versionFromBuildInfo, versionFromStrings } from "../parsers/binary-version.js";
import { parseDpkgStatus } from "../parsers/dpkg-status.js";
import type { Tool, ToolVersion } from "../parsers/runtime-version.js";
import { parseVersion } from "../parsers/version.js";

/** Runtime binaries are 10-200 MB; anything larger is not one, and is never read whole. */
const MAX_BINARY = 512 << 20;
const STRING_SCAN = 256 << 20;
const CHUNK = 8 << 20;

/** A runtime binary to read: where it is (resolved), what to call it, and whether it is a magic link. */
export interface BinaryToRead {
  tool: Tool;
  path: string;
  shown: string;
  magicLink: boolean;
}

/**
 * The tool's version read from the binary's bytes, never by running it: the Go build information
 * (as `go version -m`), else the version string linked into it. `f.path` is already resolved inside
 * the host root; the open neither follows a link swapped in since (but a magic link) nor waits on a FIFO.
 */
export function readBinaryVersion(host: Host, f: BinaryToRead): ToolVersion {
  const unknown = (reason: string): ToolVersion => ({
    tool: f.tool,
    version: "unknown",
    reason: `${f.shown}: ${reason}`,
    origin: `${f.shown} (read, not run)`,
  });
  let file: BinaryFile;
  try {
    file = host.openBinary(f.path, f.magicLink);
  } catch (err) {
    const e = err as HostReadError;
    return unknown(e.code === "ENOTREG" ? "not a regular file" : `cannot open: ${e.code}`);
  }
  try {
    if (file.size > MAX_BINARY) return unknown(`${file.size} bytes: larger than any runtime binary, not read`);
    const found = versionOf(f, file);
    return typeof found === "string" ? unknown(found) : found;
  } finally {
    file.close();
  }
}

/** The version, else why none was found (each way of reading is tried once: the scan can be 256 MiB). */
function versionOf(f: BinaryToRead, file: BinaryFile): ToolVersion | string {
  const bi = parseGoBuildInfo(file.read, file.size);
  const found = bi && versionFromBuildInfo(f.tool, bi);
  if (found) return { tool: f.tool, version: found.version, origin: `${f.shown} (${found.how}, not run)` };
  const strings = scanStrings(f.tool, file.read, file.size);
  if (strings && "raw" in strings) {
    return { tool: f.tool, version: strings, origin: `${f.shown} (version string linked into the binary, not run)` };
  }
  if (strings) return `several version strings in the binary (${strings.ambiguous.join(", ")})`;
  if (!bi) return "no Go build info and no version string found";
  return `Go build info (${bi.goVersion}, ${bi.path ?? "no path"}) names no version`;
}

function scanStrings(
  tool: Tool,
  read: (o: number, n: number) => Buffer,
  size: number,
): ReturnType<typeof versionFromStrings> {
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

/** Debian/Ubuntu packages that ship each tool. containerd.io also ships runc, at a version its name does not say. */
const DPKG: Record<string, Tool> = {
  runc: "runc",
  containerd: "containerd",
  "containerd.io": "containerd",
  "docker.io": "dockerd",
  "docker-ce": "dockerd",
  "moby-engine": "dockerd",
  kubelet: "kubelet",
  "cri-o": "crio",
};

/** Versions from dpkg's database; RPM databases (BerkeleyDB/SQLite headers) are not read. */
export function dpkgVersions(host: Host): ToolVersion[] {
  let text: string | undefined;
  try {
    // Host refuses a FIFO or device planted here (it would block or never end): then no packages.
    text = host.readTextIfExists("/var/lib/dpkg/status");
  } catch {
    return [];
  }
  if (text === undefined) return [];
  const found = parseDpkgStatus(text, new Set(Object.keys(DPKG)));
  return [...found].map(([pkg, raw]): ToolVersion => {
    const origin = `dpkg package ${pkg} ${raw} (/var/lib/dpkg/status)`;
    const version = parseVersion(raw);
    return version
      ? { tool: DPKG[pkg]!, version, origin }
      : { tool: DPKG[pkg]!, version: "unknown", reason: `unrecognised package version ${JSON.stringify(raw)}`, origin };
  });
}
