import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fixtureRoot, runCli } from "../testing/fixtures.js";
import type { PassReport } from "../actions/reap-report.js";

const HEALTHY = fixtureRoot("hybrid-v1-memory");

test("reap --dry-run on a fixture host names the parent it would step and the pins below the root it cannot reach", () => {
  const r = runCli(["reap", "--dry-run", "--json", "--target-dying", "0", "--host-root", HEALTHY]);
  assert.equal(r.status, 0, r.stderr);
  const [p] = JSON.parse(r.stdout) as PassReport[];
  assert.equal(p?.verdict, "dry-run");
  assert.deepEqual(
    p.parents.map((x) => x.path),
    ["/sys/fs/cgroup/memory/workload"],
  );
  assert.match(
    p.parents[0]?.note ?? "",
    /would lower \/sys\/fs\/cgroup\/memory\/workload\/memory.limit_in_bytes by \d+ bytes/,
  );
  assert.match(p.unreclaimable.map((u) => u.reason).join("\n"), /directly below the hierarchy root/);
});

test("reap is on target with the default policy there, and says so", () => {
  const r = runCli(["reap", "--dry-run", "--host-root", HEALTHY]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^reap: on-target \(limit, dry run\)/);
});

test("a bad policy file or a method this cgroup version lacks is one line and exit 2", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-reap-cli-"));
  try {
    fs.writeFileSync(path.join(dir, "p.json"), JSON.stringify({ budget: "lots" }));
    const bad = runCli(["reap", "--dry-run", "--policy", path.join(dir, "p.json"), "--host-root", HEALTHY]);
    assert.equal(bad.status, 2);
    assert.equal(
      bad.stderr,
      `cgleak reap: ${path.join(dir, "p.json")}: "budget": expected a size such as "512M" or a number of bytes, got "lots"\n`,
    );
    const v2only = runCli(["reap", "--dry-run", "--method", "memory-reclaim", "--host-root", HEALTHY]);
    assert.equal(v2only.status, 2);
    assert.match(v2only.stderr, /^cgleak reap: --method memory-reclaim is cgroup v2 only/);
    assert.equal(v2only.stderr.split("\n").length, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
