import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository, found from dist/ (where this test runs) and src/ alike. */
const REPO = fileURLToPath(new URL("../", import.meta.url));
const PRETTIER = path.join(REPO, "node_modules", "prettier", "bin", "prettier.cjs");

/**
 * Lines over 120 columns that the formatter cannot break: one string literal or template each (a
 * sentence a user reads). The number only goes down; a new long line of code fails `prettier --check`.
 */
const LONG_LINE_BUDGET = 427;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

test("format: the tree is as prettier writes it (.prettierrc.json, 120 columns)", () => {
  const r = spawnSync(process.execPath, [PRETTIER, "--check", "src"], { cwd: REPO, encoding: "utf8" });
  const unformatted = r.stdout.split("\n").filter((l) => l.startsWith("[warn] src/"));
  assert.deepEqual(unformatted, [], "run: npx prettier --write src");
  assert.equal(r.status, 0, r.stderr);
});

test("format: lines past 120 columns only shrink in number", () => {
  const long = sources(path.join(REPO, "src")).flatMap((f) =>
    fs
      .readFileSync(f, "utf8")
      .split("\n")
      .filter((l) => l.length > 120),
  );
  assert.ok(long.length <= LONG_LINE_BUDGET, `${long.length} lines past 120 columns, budget ${LONG_LINE_BUDGET}`);
});
