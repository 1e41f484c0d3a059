import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fixtureRoot, runCli } from "../testing/fixtures.js";
import { startServe } from "../testing/serve.js";
import { lockDatabase } from "./lock.js";

/** Two serve on one database are refused, not interleaved (issue 20 item 10). */
test("a second serve on the same database is refused; a lock left by a killed serve is taken over", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-lock-"));
  const db = path.join(dir, "cgleak.db");
  const args = ["--host-root", fixtureRoot("hybrid-v1-memory"), "--db", db, "--interval", "1s"];
  try {
    const first = await startServe(args);
    const second = runCli(["serve", "--listen", "127.0.0.1:0", ...args]);
    assert.equal(second.status, 2);
    assert.equal(
      second.stderr,
      `cgleak serve: --db: another cgleak serve (pid ${first.proc.pid}) uses ${db} (lock ${db}.lock)\n`,
    );
    first.proc.kill("SIGKILL");
    await first.stop();
    assert.ok(fs.existsSync(`${db}.lock`), "SIGKILL leaves the lock behind");
    const third = await startServe(args);
    const { code } = await third.stop();
    assert.equal(code, 0);
    assert.ok(!fs.existsSync(`${db}.lock`), "a clean stop removes the lock");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a lock from another boot is stale; one from this process is not", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-lock-"));
  const db = path.join(dir, "x.db");
  try {
    fs.writeFileSync(`${db}.lock`, JSON.stringify({ pid: process.pid, bootId: "another-boot", pidNs: "", start: "1" }));
    const release = lockDatabase(db);
    assert.equal(typeof release, "function");
    assert.match(String(lockDatabase(db)), new RegExp(`^another cgleak serve \\(pid ${process.pid}\\) uses `));
    (release as () => void)();
    assert.ok(!fs.existsSync(`${db}.lock`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
