import * as fs from "node:fs";
import { isUtf8 } from "node:buffer";
import type { WalkEntry } from "./walk.js";
import { escapeBytes } from "./name-bytes.js";
import { isVanished } from "./errors.js";
import { toReadError } from "./kernel-file.js";

/**
 * The walk where names are not UTF-8 (issue #20 item 5): such a directory is a cgroup like any
 * other, counted live and walked, but only bytes name it. process.chdir takes no bytes, so this
 * part of the walk goes by absolute paths.
 */
type Found = (parent: WalkEntry, e: WalkEntry) => void;
const SLASH = Buffer.from("/");
const NO_THROW = { throwIfNoEntry: false } as const;

/** Lists a directory whose path is bytes; every child's path is bytes too. */
export function listBytes(top: string, parent: WalkEntry, found: Found): { listed: number; vanished: number } {
  const dir = Buffer.concat([Buffer.from(top), SLASH, parent.bytes as Buffer]);
  const names = listRaw(dir, `${top}/${parent.rel}`);
  if (names === undefined) return { listed: 0, vanished: 1 };
  parent.children = [];
  let vanished = 0;
  for (const d of names) {
    if (d.isDirectory() && !child(top, parent, d.name, found)) vanished++;
  }
  return { listed: 1, vanished };
}

/**
 * The children of a UTF-8 directory whose names did not decode (U+FFFD in them): listed again as
 * bytes. A name that holds U+FFFD as UTF-8 was skipped too, and is taken here as the text it is.
 * Returns how many vanished.
 */
export function listUndecodable(top: string, parent: WalkEntry, found: Found): number {
  const real = parent.rel === "" ? top : `${top}/${parent.rel}`;
  const names = listRaw(Buffer.from(real), real);
  if (names === undefined) return 0; // the directory went: its children went with it
  let vanished = 0;
  for (const d of names) {
    if (d.isDirectory() && d.name.toString("utf8").includes("\uFFFD") && !child(top, parent, d.name, found)) vanished++;
  }
  return vanished;
}

/** false when it vanished. */
function child(top: string, parent: WalkEntry, name: Buffer, found: Found): boolean {
  const shown = parent.rel === "" ? escapeBytes(name) : `${parent.rel}/${escapeBytes(name)}`;
  const above = parent.bytes ?? Buffer.from(parent.rel);
  const rel = above.length === 0 ? name : Buffer.concat([above, SLASH, name]);
  const s = lstat(Buffer.concat([Buffer.from(top), SLASH, rel]), `${top}/${shown}`);
  if (s === undefined) return false;
  // A name that is UTF-8 after all (it holds U+FFFD as text) under a UTF-8 path: its rel names it.
  const bytes = parent.bytes === null && isUtf8(name) ? null : rel;
  found(parent, {
    rel: shown,
    bytes,
    depth: parent.depth + 1,
    mtimeMs: s.mtimeMs,
    nlink: s.nlink,
    parent,
    children: null,
  });
  return true;
}

function listRaw(dir: Buffer, shown: string): fs.Dirent<Buffer>[] | undefined {
  try {
    return fs.readdirSync(dir, { withFileTypes: true, encoding: "buffer" });
  } catch (err) {
    if (!isVanished(err)) throw toReadError(shown, err);
    return undefined;
  }
}

/**
 * Errors name the real path (a Host maps it back to the host path): a raw "EACCES: permission
 * denied, chdir '/' -> '...'" says neither what cgleak was doing nor where.
 */
export function lstat(p: string | Buffer, real: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p, NO_THROW);
  } catch (err) {
    throw toReadError(real, err);
  }
}
