import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const MODULE = fileURLToPath(new URL("./stdout.js", import.meta.url));
const script = (n: number): string =>
  `import { writeStdout } from ${JSON.stringify(MODULE)}; writeStdout("x".repeat(${n}) + "\\n");`;

test("writeStdout() writes all of a large output to a pipe and to a file", () => {
  const n = 1 << 20;
  const piped = spawnSync(process.execPath, ["--input-type=module", "-e", script(n)], {
    encoding: "utf8",
    maxBuffer: 4 << 20,
  });
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(piped.stdout.length, n + 1);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-stdout-")), "out");
  const fd = fs.openSync(file, "w");
  try {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script(n)], {
      stdio: ["ignore", fd, "pipe"],
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    fs.closeSync(fd);
  }
  assert.equal(fs.statSync(file).size, n + 1);
  fs.rmSync(path.dirname(file), { recursive: true });
});

test("writeStdout() ends quietly when the reader has gone (EPIPE), as `cgleak scan | head -1` needs", async () => {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script(1 << 22)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.destroy(); // the reader goes away before the writer is done
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "");
});
