import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { CLI } from "../testing/fixtures.js";
import { needsRootMemcgV1 } from "../testing/kernel.js";
import { ALWAYS_ACT, makeDying, makeLab, removeLab } from "../testing/reap-setup.js";

const skip = needsRootMemcgV1();
const UNLIMITED = "9223372036854771712";

/** Kills the reaper (SIGKILL, the process alone) the moment it sees the limit lowered. */
async function killMidPass(args: string[], limit: string): Promise<boolean> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: "ignore" });
  const exited = new Promise((r) => child.once("exit", r));
  while (child.exitCode === null) {
    if (fs.readFileSync(limit, "utf8").trim() !== UNLIMITED) {
      child.kill("SIGKILL");
      await exited;
      return true;
    }
    await new Promise((r) => setImmediate(r));
  }
  await exited;
  return false;
}

test(
  "a reaper SIGKILLed in the middle of a pass leaves no lowered limit behind after the next start",
  { skip },
  async () => {
    const lab = makeLab("reapkill");
    const state = `${lab.tmp}/state.json`;
    const limit = `${lab.pods}/memory.limit_in_bytes`;
    const common = ["reap", "--under", lab.rel, "--state-file", state, "--yes", ...ALWAYS_ACT];
    try {
      let lowered = 0;
      for (let attempt = 0; attempt < 6 && lowered === 0; attempt++) {
        makeDying(lab, `${lab.pods}`, `${lab.tmp}/pc${attempt}`, 1000, 65536);
        await delay(2100);
        // 1 MiB steps: ~60 limit changes per pass, each a window between journal and restore
        if (!(await killMidPass([...common, "--step", "1M", "--observe", "100ms"], limit))) continue;
        await delay(300); // a restore already in flight may still land: then this attempt proves nothing
        const left = fs.readFileSync(limit, "utf8").trim();
        if (left !== UNLIMITED) lowered++;
        assert.ok(fs.existsSync(state), "the journal survives the kill");
        const next = spawnSync(
          process.execPath,
          [CLI, ...common, "--target-dying", "100000000", "--target-pinned", "1T"],
          { encoding: "utf8" },
        );
        assert.equal(next.status, 0, next.stderr);
        assert.match(next.stderr, /restored to 9223372036854771712/);
        assert.equal(fs.readFileSync(limit, "utf8").trim(), UNLIMITED, "restored at the next start");
        assert.equal(fs.existsSync(state), false, "journal emptied");
      }
      assert.ok(lowered > 0, "in no attempt did the kill leave a lowered limit: the test did not test the restore");
    } finally {
      assert.deepEqual(await removeLab(lab), []);
    }
  },
);
