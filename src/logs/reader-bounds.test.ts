import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { spawnSync } from "node:child_process";
import { eachJournalLine } from "./reader.js";
import { scanLogs } from "./scan-logs.js";

/** Logs never hang and never grow without bound (issue 20 item 8). */
function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-logs-"));
}

test("a character device as a log (/dev/zero) is refused by type, not read forever", async () => {
  const r = await scanLogs([{ type: "file", path: "/dev/zero" }]);
  assert.equal(r.sources[0]?.ok, false);
  assert.match(r.sources[0]?.error ?? "", /not a regular file \(a character device\)/);
});

test("a FIFO as a log is refused without waiting for a writer", async () => {
  const dir = tmpDir();
  try {
    const fifo = path.join(dir, "fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    const r = await scanLogs([{ type: "file", path: fifo }]);
    assert.match(r.sources[0]?.error ?? "", /not a regular file \(a FIFO\): pipe it to cgleak logs - instead/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a .gz that inflates past 50x its size (and 64 MiB) stops with one line", async () => {
  const dir = tmpDir();
  try {
    const gz = path.join(dir, "bomb.log.gz");
    fs.writeFileSync(gz, zlib.gzipSync(Buffer.alloc(80 * 1024 * 1024, "a\n"), { level: 9 }));
    const r = await scanLogs([{ type: "file", path: gz }]);
    assert.equal(r.sources[0]?.ok, false);
    assert.match(r.sources[0]?.error ?? "", /^inflates past 64 MiB \(50x its size\): a gzip bomb, not a log; stopped$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a journalctl that hangs is stopped after its timeout, children included", async () => {
  const dir = tmpDir();
  try {
    const fake = path.join(dir, "journalctl");
    fs.writeFileSync(fake, "#!/bin/sh\necho '2026-12-01T10:00:00+0000 n1 kernel: hello'\nsleep 300\n", { mode: 0o755 });
    await assert.rejects(
      eachJournalLine({ command: fake, timeoutMs: 500 }, () => {}),
      { message: `${fake} did not finish within 0.5 s: stopped after 1 lines` },
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
