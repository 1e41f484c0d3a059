import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { MEMCG_V1, needsRootMemcgV1, uniqueName, runInCgroup, removeCgroupTree } from "../testing/kernel.js";
import type { TraceReport } from "../sinks/trace-text.js";
import { CLI } from "../testing/fixtures.js";

const skip = needsRootMemcgV1();

test(
  "cgleak trace --json names a pinned memcg under its workload, with its age and the unnamed rest",
  { skip },
  async () => {
    const name = uniqueName("cli");
    const parent = `${MEMCG_V1}/${name}`;
    const file = `/tmp/${name}.f`;
    const child = spawn(process.execPath, [CLI, "trace", "--json", "--interval", "200ms", "--duration", "2s"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    try {
      await new Promise<void>((r) => child.stdout.once("data", () => r()));
      fs.mkdirSync(`${parent}/c1`, { recursive: true });
      runInCgroup(`${parent}/c1`, `dd if=/dev/zero of=${file} bs=64k count=4 2>/dev/null`);
      const removedAt = Date.now();
      fs.rmdirSync(`${parent}/c1`);
      assert.equal(await exited, 0);
      const reportedBy = (Date.now() - removedAt) / 1000;
      const last = JSON.parse(out.trim().split("\n").at(-1) as string) as TraceReport;
      const g = last.groups.find((x) => x.workload === `/${name}`);
      assert.ok(g, `group /${name} in ${JSON.stringify(last.groups.map((x) => x.workload))}`);
      assert.deepEqual(
        g.cgroups.map((c) => c.path),
        [`/${name}/c1`],
      );
      // Not a speed check: the age counts from the rmdir, so it cannot exceed the time from the rmdir to the
      // report (0.1 s for converting the tracepoint's clock to the wall clock).
      assert.ok(
        g.oldestAgeSeconds > 0 && g.oldestAgeSeconds <= reportedBy + 0.1,
        `age ${g.oldestAgeSeconds} s, reported within ${reportedBy} s of the rmdir`,
      );
      assert.equal(typeof last.kernelDying, "number");
      assert.ok(last.named >= 1);
    } finally {
      child.kill("SIGTERM");
      fs.rmSync(file, { force: true });
      // force_empty reclaims the parent's subtree, dying child included, without a global drop_caches.
      if (fs.existsSync(parent)) fs.writeFileSync(`${parent}/memory.force_empty`, "0");
      removeCgroupTree(parent);
    }
  },
);
