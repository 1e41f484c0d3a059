import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { MEMCG_V1, needsRootMemcgV1, removeCgroupTree, syncAndDropCaches, uniqueName } from "./testing/kernel.js";
import { runCli } from "./testing/fixtures.js";
import type { Finding } from "./analyze/finding.js";

const skip = needsRootMemcgV1();
const NAME = uniqueName("explain");
const P = path.join(MEMCG_V1, NAME);
const FILES = fs.mkdtempSync(path.join(os.tmpdir(), `${NAME}-`));

after(() => {
  fs.rmSync(FILES, { recursive: true, force: true });
  if (skip) return;
  syncAndDropCaches();
  removeCgroupTree(P);
});

test(
  "explain on this host (6.18, v1, no swap): dying memcgs hold no ID, page cache pins them, force_empty frees them",
  { skip },
  () => {
    fs.mkdirSync(P);
    // One shell makes 120 dying memcgs: join, write 128 KiB (more than the control process leaves pinned), leave, rmdir (docs/lab-results.md §1's recipe).
    const script = `for i in $(seq 1 120); do mkdir ${P}/c$i && echo $$ > ${P}/c$i/cgroup.procs && head -c 131072 /dev/zero > ${FILES}/f$i && echo $$ > ${P}/cgroup.procs && rmdir ${P}/c$i || exit 1; done`;
    const sh = spawnSync("sh", ["-c", script], { encoding: "utf8" });
    assert.equal(sh.status, 0, sh.stderr);
    const r = runCli(["explain", "--json", "--no-logs"]);
    assert.equal(r.status, 0, r.stderr);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    const f = findings.find((x) => x.id === "dying-pinned");
    assert.ok(f, `no dying-pinned finding in ${findings.map((x) => x.id).join(", ")}`);
    assert.match(
      f.title,
      /dying memcgs pin .* of page cache under [^ ]+ and cost .*: they do not use IDs on this kernel/,
    );
    // The machine's control process may pin more than we do, so ours need not be the top subtree.
    assert.match(f.fix[0]!, /^cgleak reclaim --force-empty \/sys\/fs\/cgroup\/memory\/\S+ /);
    const ours = f.evidence.find((e) => e.from === `/sys/fs/cgroup/memory/${NAME}/memory.stat`);
    assert.ok(ours, `our subtree among the most pinned: ${JSON.stringify(f.evidence)}`);
    assert.match(
      ours.value,
      /^1[5-9](\.\d)? MiB held by dying memcgs below /,
      "120 x 128 KiB, plus a little ext4 metadata",
    );
    assert.equal(
      findings.find((x) => x.id === "kmem-fork-leak"),
      undefined,
      "6.18 has no kmem-fork leak",
    );
    assert.equal(
      findings.find((x) => x.id === "id-cap"),
      undefined,
    );
  },
);
