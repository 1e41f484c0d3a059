import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { spawnSync } from "node:child_process";
import { CLI } from "../testing/fixtures.js";
import { buildHostile, hostileCases, snapshot } from "../testing/hostile.js";

/**
 * The hostile-input corpus through the shipped bin (issue 20, "keep it fixed"): each tree ends
 * `scan` with exit 1 and exactly one stderr line naming the file (and line), no stack trace,
 * within a generous timeout (a hang fails, no timing is asserted) and with the tree unchanged.
 */
const CASES = hostileCases();
const TIMEOUT_MS = 30_000;

function run(args: string[]): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: TIMEOUT_MS, maxBuffer: 1 << 20 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

test(`the corpus has at least 80 trees (${CASES.length})`, () => {
  assert.ok(CASES.length >= 80);
  assert.equal(new Set(CASES.map((c) => `${c.base}: ${c.name}`)).size, CASES.length, "names are unique");
});

for (const c of CASES) {
  test(`hostile tree (${c.base}): ${c.name}`, () => {
    const root = buildHostile(c);
    try {
      const before = snapshot(root);
      const r = run(["scan", "--host-root", root]);
      assert.equal(r.signal, null, `did not finish within ${TIMEOUT_MS / 1000} s`);
      assert.equal(r.status, 1, `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^cgleak: [^\n]+\n$/, `one line: ${JSON.stringify(r.stderr.slice(0, 400))}`);
      assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+|unexpected error/, "no stack trace");
      const where = c.line === undefined ? c.file : `${c.file} line ${c.line}`;
      assert.ok(r.stderr.includes(where), `names ${where}: ${r.stderr}`);
      if (c.kured) {
        const k = run(["check", "--kured", "--host-root", root]);
        assert.equal(k.status, 2, `check --kured must not say REBOOT: ${k.stdout}`);
        assert.match(k.stdout, /^UNKNOWN: /);
      }
      assert.equal(snapshot(root), before, "the tree is unchanged");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
}
