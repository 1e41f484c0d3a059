import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { spawn, type ChildProcess } from "node:child_process";
import { runCli } from "../testing/fixtures.js";
import { MEMCG_V1, needsRootMemcgV1, removeCgroupTree, uniqueName } from "../testing/kernel.js";
import { sleepMs } from "./rmdir.js";

/** reclaim --force-empty on the real kernel (issue 20 item 2): it says, refuses and asks. */
const skip = needsRootMemcgV1();

test(
  "reclaim --force-empty refuses the root, a cgroup with processes (unless --with-processes) and asks unless --yes",
  { skip },
  () => {
    const t = uniqueName("force-empty");
    const dir = `${MEMCG_V1}/${t}`;
    let kid: ChildProcess | undefined;
    try {
      fs.mkdirSync(`${dir}/busy`, { recursive: true });
      const root = runCli(["reclaim", "--force-empty", `${MEMCG_V1}/`, "--yes"]);
      assert.equal(root.status, 2);
      assert.match(root.stderr, /expected a cgroup below \/sys\/fs\/cgroup\/memory/);
      const asked = runCli(["reclaim", "--force-empty", t]);
      assert.equal(asked.status, 2);
      assert.match(
        asked.stderr,
        /^memory.force_empty on \/sys\/fs\/cgroup\/memory\/\S+ evicts the page cache charged to its 2 cgroups \([^)]+\), which its 0 processes then re-read from disk;.*\ncgleak reclaim: not confirmed \(pass --yes/s,
      );
      kid = spawn("sh", ["-c", `echo $$ > ${dir}/busy/cgroup.procs && exec sleep 60`], { stdio: "ignore" });
      for (let i = 0; i < 100 && fs.readFileSync(`${dir}/busy/cgroup.procs`, "utf8").trim() === ""; i++) sleepMs(20);
      const busy = runCli(["reclaim", "--force-empty", t, "--yes"]);
      assert.equal(busy.status, 2);
      assert.match(
        busy.stderr,
        /cgleak reclaim: 1 processes run in or below \/sys\/fs\/cgroup\/memory\/\S+: pass --with-processes/,
      );
      const ok = runCli(["reclaim", "--force-empty", t, "--yes", "--with-processes"]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /^echo 0 > \/sys\/fs\/cgroup\/memory\/\S+\/memory.force_empty/);
    } finally {
      kid?.kill("SIGKILL");
      sleepMs(100);
      removeCgroupTree(dir);
    }
  },
);
