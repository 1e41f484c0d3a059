/**
 * The build information Go embeds in every binary it links (what `go version -m` prints), read from
 * the file's bytes without running it: the `\xff Go buildinf:` header in the .go.buildinfo section,
 * then the Go version and the module info (path, main module, deps, build settings such as -ldflags).
 * Go 1.18+ stores the strings inline; older releases store pointers, resolved through the ELF
 * program headers. Only 64-bit little-endian ELF is supported (x86_64, arm64).
 */

/** Random access to the binary: `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Buffer;

export interface GoBuildInfo {
  goVersion: string;
  /** The main package's import path ("github.com/opencontainers/runc"). */
  path?: string;
  /** The main module and its version ("(devel)" for a build outside a module's release). */
  main?: { path: string; version: string };
  deps: Array<{ path: string; version: string }>;
  /** "build" lines: -ldflags, -tags, vcs.revision... */
  settings: Record<string, string>;
}

const MAGIC = Buffer.from("\xff Go buildinf:", "latin1");
const MAX_STRING = 1 << 20;

/** undefined when the bytes hold no Go build information (not Go, not ELF64 LE, or too old). */
export function parseGoBuildInfo(read: ReadAt, size: number): GoBuildInfo | undefined {
  const elf = readElf(read);
  if (!elf) return undefined;
  const at = elf.buildinfo ?? scanForMagic(read, Math.min(size, 64 << 20));
  if (at === undefined) return undefined;
  const head = read(at, 32);
  if (head.length < 32 || !head.subarray(0, 14).equals(MAGIC)) return undefined;
  const ptrSize = head[14]!,
    flags = head[15]!;
  let goVersion: string | undefined, mod: string | undefined;
  if (flags & 2) {
    const inline = readVarStrings(read, at + 32, 2);
    [goVersion, mod] = inline;
  } else if (ptrSize === 8 && !(flags & 1)) {
    goVersion = readGoString(read, elf, head.readBigUInt64LE(16));
    mod = readGoString(read, elf, head.readBigUInt64LE(24));
  }
  if (!goVersion) return undefined;
  return { goVersion, ...parseModInfo(mod ?? "") };
}

/** The module info text between its 16-byte sentinels: "path\t...", "mod\t...", "dep\t...", "build\tk=v". */
export function parseModInfo(raw: string): Omit<GoBuildInfo, "goVersion"> {
  const text = raw.length >= 33 && raw.charCodeAt(raw.length - 17) === 0x0a ? raw.slice(16, -16) : raw;
  const out: Omit<GoBuildInfo, "goVersion"> = { deps: [], settings: {} };
  for (const line of text.split("\n")) {
    const [kind, a = "", b = ""] = line.split("\t");
    if (kind === "path") out.path = a;
    else if (kind === "mod") out.main = { path: a, version: b };
    else if (kind === "dep") out.deps.push({ path: a, version: b });
    else if (kind === "=>" && out.deps.length > 0) out.deps[out.deps.length - 1]!.version = `${b} => ${a}`;
    else if (kind === "build") {
      const eq = a.indexOf("=");
      if (eq > 0) out.settings[a.slice(0, eq)] = unquote(a.slice(eq + 1));
    }
  }
  return out;
}

interface Elf {
  buildinfo?: number;
  rodata?: { offset: number; size: number };
  loads: Array<{ vaddr: bigint; offset: bigint; filesz: bigint }>;
}

/** Where .rodata lies in the file: link-time strings (-X values) are there, a fraction of the binary. */
export function elfRodata(read: ReadAt): { offset: number; size: number } | undefined {
  return readElf(read)?.rodata;
}

function readElf(read: ReadAt): Elf | undefined {
  const h = read(0, 64);
  if (h.length < 64 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return undefined;
  const phoff = Number(h.readBigUInt64LE(0x20)),
    shoff = Number(h.readBigUInt64LE(0x28));
  const phnum = h.readUInt16LE(0x38),
    shnum = h.readUInt16LE(0x3c),
    shstrndx = h.readUInt16LE(0x3e);
  const loads: Elf["loads"] = [];
  const ph = read(phoff, phnum * 56);
  for (let i = 0; i + 56 <= ph.length; i += 56) {
    if (ph.readUInt32LE(i) === 1)
      loads.push({
        offset: ph.readBigUInt64LE(i + 8),
        vaddr: ph.readBigUInt64LE(i + 16),
        filesz: ph.readBigUInt64LE(i + 32),
      });
  }
  const elf: Elf = { loads };
  const sh = shnum > 0 && shnum < 4096 ? read(shoff, shnum * 64) : Buffer.alloc(0);
  if (sh.length < shnum * 64 || shstrndx >= shnum) return elf;
  const strs = read(
    Number(sh.readBigUInt64LE(shstrndx * 64 + 24)),
    Math.min(Number(sh.readBigUInt64LE(shstrndx * 64 + 32)), 1 << 16),
  );
  for (let i = 0; i < shnum; i++) {
    const name = strs.toString("latin1", sh.readUInt32LE(i * 64), strs.indexOf(0, sh.readUInt32LE(i * 64)));
    if (name === ".go.buildinfo") elf.buildinfo = Number(sh.readBigUInt64LE(i * 64 + 24));
    if (name === ".rodata")
      elf.rodata = { offset: Number(sh.readBigUInt64LE(i * 64 + 24)), size: Number(sh.readBigUInt64LE(i * 64 + 32)) };
  }
  return elf;
}

/** Binaries whose section headers were stripped: the header sits 16-byte aligned in the data. */
function scanForMagic(read: ReadAt, limit: number): number | undefined {
  const CHUNK = 1 << 20;
  for (let off = 0; off < limit; off += CHUNK) {
    const buf = read(off, CHUNK + 16);
    for (let i = buf.indexOf(MAGIC); i >= 0; i = buf.indexOf(MAGIC, i + 1)) if ((off + i) % 16 === 0) return off + i;
    if (buf.length < CHUNK) return undefined;
  }
  return undefined;
}

function readVarStrings(read: ReadAt, at: number, n: number): string[] {
  const out: string[] = [];
  let pos = at;
  for (let k = 0; k < n; k++) {
    const head = read(pos, 10);
    let len = 0,
      shift = 0,
      i = 0;
    for (; i < head.length; i++) {
      len += (head[i]! & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(head[i]! & 0x80)) break;
    }
    if (len > MAX_STRING) return out;
    out.push(read(pos + i + 1, len).toString("latin1"));
    pos += i + 1 + len;
  }
  return out;
}

/** A Go string header {data pointer, length} at a virtual address, then its bytes. */
function readGoString(read: ReadAt, elf: Elf, vaddr: bigint): string | undefined {
  const hdrAt = fileOffset(elf, vaddr);
  if (hdrAt === undefined) return undefined;
  const hdr = read(hdrAt, 16);
  if (hdr.length < 16) return undefined;
  const dataAt = fileOffset(elf, hdr.readBigUInt64LE(0)),
    len = Number(hdr.readBigUInt64LE(8));
  if (dataAt === undefined || len > MAX_STRING) return undefined;
  return read(dataAt, len).toString("latin1");
}

function fileOffset(elf: Elf, vaddr: bigint): number | undefined {
  const seg = elf.loads.find((l) => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
  return seg && Number(seg.offset + (vaddr - seg.vaddr));
}

function unquote(s: string): string {
  if (!s.startsWith('"')) return s;
  try {
    return JSON.parse(s) as string;
  } catch {
    return s;
  }
}
