/**
 * `npm test`: the tests by what they need. Pure and contract tests (`*.test.js`,
 * `*.contract.test.js`) run in parallel; the ones that change the host or boot the qemu lab
 * (`*.real.test.js`, `*.lab.test.js`) run one at a time, after them, because they create and
 * remove cgroups, drop caches and compare kernel-wide counts that a neighbour would disturb.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const DIST = fileURLToPath(new URL("../", import.meta.url));
const SERIAL = /\.(real|lab)\.test\.js$/;

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p));
    else if (e.name.endsWith(".test.js")) out.push(p);
  }
  return out.sort();
}

interface Counts {
  pass: number;
  fail: number;
  skipped: number;
}

/** Runs one `node --test` over the files, passing its output through and counting its summary. */
function run(files: string[], concurrency: number): Promise<Counts & { code: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--test", `--test-concurrency=${concurrency}`, ...files], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const counts: Counts = { pass: 0, fail: 0, skipped: 0 };
    let tail = "";
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      const text = tail + chunk.toString("utf8");
      const lines = text.split("\n");
      tail = lines.pop() ?? "";
      for (const line of lines) count(line, counts);
    });
    child.on("close", (code) => {
      count(tail, counts);
      resolve({ ...counts, code: code ?? 1 });
    });
  });
}

function count(line: string, c: Counts): void {
  const m = /^# (pass|fail|skipped) (\d+)$/.exec(line);
  if (m) c[m[1] as keyof Counts] += Number(m[2]);
}

async function main(): Promise<void> {
  const all = testFiles(DIST);
  const serial = all.filter((f) => SERIAL.test(f));
  const parallel = all.filter((f) => !SERIAL.test(f));
  if (process.geteuid?.() === 0) {
    process.stdout.write(
      "# npm test as root changes this host, and undoes it: it creates and removes cgroups under cgleak-test-<pid>-*, drops the page cache, fills 2,000 memcgs, runs podman containers and boots qemu guests where those are installed\n",
    );
  }
  const a = await run(parallel, 2);
  const b = serial.length > 0 ? await run(serial, 1) : { pass: 0, fail: 0, skipped: 0, code: 0 };
  process.stdout.write(`${a.pass + b.pass} passed, ${a.fail + b.fail} failed, ${a.skipped + b.skipped} skipped\n`);
  process.exitCode = a.code !== 0 || b.code !== 0 ? 1 : 0;
}

await main();
