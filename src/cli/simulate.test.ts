import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../testing/fixtures.js";

const BASE = ["simulate", "--kernel", "6.18.0", "--dying-hold-ids", "no", "--memory", "16GiB", "--nodes", "1"];

function json(args: string[]): {
  result: { failure: string | null; failsAtHours: number | null; pods: number };
  memory: { cost: { bytesEach: number; cpus: number } };
  input: { memoryBudgetBytes: number; bytesPerDying: number };
} {
  const r = runCli([...BASE, ...args, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("simulate: where dying memcgs hold no ID, the dying memcgs' share of memory is the failure, and the text says so", () => {
  const r = runCli([...BASE, "--cpus", "2"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /The dying memcgs hold 5\.0 % of the node's memory \(819 MiB\) after [\d,]+ pods/);
  assert.match(r.stdout, /mkdir itself never fails on this kernel, where dying memcgs hold no ID/);
  assert.match(r.stdout, /kernel memory \(12 KiB \+ 1\.9 KiB x 2 CPUs; kernel 6\.18 fit, dying-cost\/1\)/);
  assert.match(r.stdout, /Memory budget: 5\.0 % of 16 GiB \(--memory\)/);
  assert.doesNotMatch(r.stdout, /never fails within/);
});

test("simulate: the budget in JSON is the share of --memory, and the failure matches it to the memcg", () => {
  const j = json(["--cpus", "2", "--memory-share", "10%"]);
  assert.equal(j.input.memoryBudgetBytes, Math.round(16 * 2 ** 30 * 0.1));
  assert.equal(j.result.failure, "memory");
  const dying = Math.ceil(j.input.memoryBudgetBytes / j.input.bytesPerDying);
  assert.equal(j.result.pods, Math.ceil(dying / 2));
});

test("simulate: more CPUs make each dying memcg dearer and the node fail sooner", () => {
  const small = json(["--cpus", "2"]);
  const big = json(["--cpus", "96"]);
  assert.equal(big.memory.cost.cpus, 96);
  assert.ok(big.memory.cost.bytesEach > 4 * small.memory.cost.bytesEach);
  assert.ok(big.result.failsAtHours! < small.result.failsAtHours! / 4);
});

test("simulate: RHEL 7's kernel still fails at the ID cap first", () => {
  const r = runCli(["simulate", "--kernel", "3.10.0-862.9.1.el7.x86_64", "--memory", "64GiB", "--cpus", "8", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).result.failure, "id-cap");
});

test("simulate: a bad --memory or --cpus is one line naming the option, exit 2", () => {
  for (const args of [
    ["--memory", "12x"],
    ["--cpus", "0"],
    ["--memory-share", "150%"],
    ["--swap-share", "2"],
  ]) {
    const r = runCli([...BASE, ...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(args[0]!));
  }
});

test("simulate --swap-share: on 6.12 the swapped-out half of the dying memcgs reaches the ID cap before memory", () => {
  const node = ["--cpus", "32", "--memory", "256GiB", "--nodes", "1"];
  const args = ["simulate", "--kernel", "6.12.0", ...node, "--swap-share", "50%"];
  const r = runCli(args);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /except the 50 % whose pages are swapped out: swap records pin their ID/);
  assert.match(r.stdout, /mkdir starts to fail after 65,434 pods, .*130,868 dying memcgs at most/);
  assert.match(r.stdout, /the swapped-out ones hold 65,434 IDs/);
  const j = JSON.parse(runCli([...args, "--json"]).stdout);
  assert.deepEqual([j.input.swapShare, j.result.failure, j.result.peakIds], [0.5, "id-cap", 65_534]);
  const none = JSON.parse(runCli([...args.slice(0, -2), "--json"]).stdout);
  assert.equal(none.result.failure, "memory");
});

test("simulate --swap-share on RHEL 7's 3.10 changes nothing: every dying memcg holds its ID", () => {
  const base = ["simulate", "--kernel", "3.10.0-862.9.1.el7.x86_64", "--memory", "1TiB", "--cpus", "8", "--nodes", "1"];
  const r = runCli([...base, "--swap-share", "0.1"]);
  assert.match(r.stdout, /the 10 % swapped out change nothing: every dying memcg holds its ID/);
  const a = JSON.parse(runCli([...base, "--swap-share", "0.1", "--json"]).stdout).result;
  const b = JSON.parse(runCli([...base, "--json"]).stdout).result;
  assert.deepEqual([a.failure, a.pods], ["id-cap", 32_717]);
  assert.deepEqual(a, b);
});
