import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../scan.js";
import type { ScanReport } from "../analyze/report.js";
import { walkCgroupDirs } from "../host/walk.js";
import { MEMCG_V1, needsRootMemcgV1, removeCgroupTree, uniqueName } from "../testing/kernel.js";
import { runCli } from "../testing/fixtures.js";

/**
 * Issue #20 item 5: cgroups whose names are not UTF-8 are live memcgs like any other. Before, the
 * walk could not stat them by their decoded names: they counted as vanished, and on v1 (dying =
 * num_cgroups - live) as dying.
 */
const skip = needsRootMemcgV1();
const NAME = uniqueName("bytes");
const P = path.join(MEMCG_V1, NAME);
const pod = Buffer.concat([Buffer.from(`${P}/`), Buffer.from([0xff]), Buffer.from("pod")]);
const dirs = [
  pod,
  Buffer.concat([pod, Buffer.from("/c1")]),
  Buffer.concat([pod, Buffer.from("/c"), Buffer.from([0xfe])]),
];

after(() => {
  if (skip) return;
  // removeCgroupTree lists by text, where these names do not decode: they go first, by bytes.
  for (const d of [...dirs].reverse()) if (fs.existsSync(d)) fs.rmdirSync(d);
  removeCgroupTree(P);
});

const scan = (): ScanReport =>
  runScan(new Host("/"), { thresholds: DEFAULT_THRESHOLDS, deep: false, emptyMinAgeMs: 0 });

test("scan on the real kernel: 3 memcgs whose names are not UTF-8 raise live by 3 and dying by none", { skip }, () => {
  fs.mkdirSync(P);
  let got = { live: 0, dying: 0 };
  // Other work on this machine makes and removes memcgs: measure once more if it moved the count.
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = scan();
    for (const d of dirs) fs.mkdirSync(d);
    const now = scan();
    got = { live: now.memcg.live - before.memcg.live, dying: now.memcg.dying - before.memcg.dying };
    if (got.live === 3 && got.dying === 0) break;
    for (const d of [...dirs].reverse()) fs.rmdirSync(d);
  }
  assert.deepEqual(got, { live: 3, dying: 0 });
  assert.equal(scan().subtrees.find((s) => s.path === NAME)?.live, 4);
  const seen: string[] = [];
  const stats = walkCgroupDirs(P, (e) => seen.push(e.rel));
  assert.equal(stats.vanished, 0);
  assert.deepEqual(seen.sort(), ["", "\\xffpod", "\\xffpod/c1", "\\xffpod/c\\xfe"]);
});

test("scan --json on the real kernel runs where names are not UTF-8, and its text output too", { skip }, () => {
  if (!fs.existsSync(pod)) for (const d of dirs) fs.mkdirSync(d);
  const json = runCli(["scan", "--json"]);
  assert.equal(json.status, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).subtrees.find((s: { path: string }) => s.path === NAME)?.live, 4);
  const text = runCli(["scan"]);
  assert.equal(text.status, 0, text.stderr);
  assert.doesNotMatch(text.stdout, /\uFFFD/);
});
