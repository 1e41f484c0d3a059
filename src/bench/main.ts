/**
 * `npm run bench [-- NAME...]`: runs every benchmark in dist/bench/ (or the named ones), one
 * process each so one's memory does not colour another's figures.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const all = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".js") && f !== "main.js" && !f.startsWith("_") && !f.endsWith(".test.js"))
  .map((f) => f.slice(0, -3))
  .sort();
// After a benchmark's name, other words are its arguments (`npm run bench -- scan 10k+`).
const known = wanted.filter((w) => all.includes(w));
const args = known.length > 0 ? wanted.filter((w) => !all.includes(w)) : [];
const names = wanted.length === 0 ? all : known.length > 0 ? known : wanted;
let failed = 0;
for (const name of names) {
  if (!all.includes(name)) {
    process.stderr.write(`bench: no benchmark "${name}" (have: ${all.join(", ")})\n`);
    process.exitCode = 2;
    continue;
  }
  process.stdout.write(`\n## bench ${name}\n`);
  const r = spawnSync(process.execPath, [path.join(dir, `${name}.js`), ...args], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
if (failed > 0) process.exitCode = 1;
