import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { walkCgroupDirs, type WalkEntry } from "./walk.js";
import { escapeBytes } from "./name-bytes.js";

const b = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));

test("escapeBytes keeps UTF-8 as text and shows every other byte, and a backslash beside one, as \\xHH", () => {
  assert.equal(escapeBytes(b("pod-é")), "pod-é");
  assert.equal(escapeBytes(b("a", [0xff], "b")), "a\\xffb");
  assert.equal(escapeBytes(b("é", [0xc3], "\\x")), "é\\xc3\\x5cx");
  assert.equal(escapeBytes(b([0xe2, 0x82], "z")), "\\xe2\\x82z", "a cut-off sequence is bytes");
  assert.equal(escapeBytes(b([0xed, 0xa0, 0x80])), "\\xed\\xa0\\x80", "a surrogate is not UTF-8");
});

/** A tree (on a filesystem that keeps link counts, like cgroupfs) with names that are not UTF-8. */
function withTree(fn: (root: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-walk-"));
  const root = Buffer.from(dir);
  const mk = (...parts: Array<string | number[]>): void => fs.mkdirSync(b(root.toString(), "/", ...parts));
  try {
    mk("kubepods");
    mk("kubepods/ok");
    mk("kubepods/", [0xff], "pod");
    mk("kubepods/", [0xff], "pod/c1");
    mk("kubepods/", [0xff], "pod/c", [0xfe]);
    mk("kubepods/", [0xff], "pod/c", [0xfe], "/deep");
    mk("x\uFFFDy"); // U+FFFD as UTF-8 text is a name like any other
    fs.writeFileSync(b(dir, "/kubepods/", [0xff], "pod/memory.stat"), "cache 0\n");
    fn(dir);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

test("walkCgroupDirs counts and walks directories whose names are not UTF-8, escaped in rel, bytes kept", () => {
  withTree((dir) => {
    const cwd = process.cwd();
    const seen: WalkEntry[] = [];
    const stats = walkCgroupDirs(dir, (e) => seen.push(e));
    assert.equal(process.cwd(), cwd);
    assert.deepEqual({ dirs: stats.dirs, vanished: stats.vanished }, { dirs: 8, vanished: 0 });
    const rels = seen.map((e) => e.rel).sort();
    assert.deepEqual(rels, [
      "",
      "kubepods",
      "kubepods/\\xffpod",
      "kubepods/\\xffpod/c1",
      "kubepods/\\xffpod/c\\xfe",
      "kubepods/\\xffpod/c\\xfe/deep",
      "kubepods/ok",
      "x\uFFFDy",
    ]);
    const by = new Map(seen.map((e) => [e.rel, e]));
    assert.equal(by.get("kubepods/ok")?.bytes, null);
    assert.equal(by.get("x\uFFFDy")?.bytes, null, "its rel names it");
    assert.deepEqual(by.get("kubepods/\\xffpod/c\\xfe/deep")?.bytes, b("kubepods/", [0xff], "pod/c", [0xfe], "/deep"));
    assert.equal(by.get("kubepods/\\xffpod")?.children?.length, 2, "the pins descent sees its children");
  });
});

test("walkCgroupDirs in a tree whose names are not UTF-8 visits parents first and siblings together", () => {
  withTree((dir) => {
    const seen: WalkEntry[] = [];
    walkCgroupDirs(dir, (e) => seen.push(e));
    const at = new Map(seen.map((e, i) => [e, i]));
    for (const e of seen) if (e.parent !== null) assert.ok((at.get(e.parent) as number) < (at.get(e) as number));
    const parents = seen.map((e) => e.parent);
    const runs = parents.filter((p, i) => i === 0 || p !== parents[i - 1]);
    assert.equal(new Set(runs).size, runs.length);
  });
});
