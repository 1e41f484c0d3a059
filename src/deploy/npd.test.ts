import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { TESTDATA } from "../testing/fixtures.js";

const NPD_DIR = fileURLToPath(new URL("../../deploy/node-problem-detector/", import.meta.url));
const LOG_CONFIGS = ["memcg-log-monitor.json", "memcg-kmsg-monitor.json"];
const read = (f: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(NPD_DIR, f), "utf8")) as Record<string, unknown>;
const rulesOf = (f: string) => (read(f).rules as Array<{ type: string; reason: string; pattern: string }>);

/**
 * NPD compiles `pattern + "\z"` with Go's RE2 and matches it against one log message (older
 * releases: the buffered messages joined by "\n"). JS `$` without the m flag is `\z`. RE2 has no
 * lookaround, backreferences or possessive forms, so a pattern using them would not even load.
 */
function npdRegex(pattern: string): RegExp {
  assert.doesNotMatch(pattern, /\(\?[=!<]|\\[1-9]|\(\?i\)|[*+?}]\+/, `not RE2-compatible: ${pattern}`);
  return new RegExp(`(?:${pattern})$`, "u");
}

interface Row { label: string; source: string; line: string }
const corpus = fs.readFileSync(path.join(TESTDATA, "logs", "corpus.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Row);

test("NPD system-log-monitor configs: well-formed, temporary rules with a reason and an RE2 pattern", () => {
  for (const f of LOG_CONFIGS) {
    const c = read(f);
    assert.ok(["journald", "kmsg", "filelog"].includes(c.plugin as string), `${f}: plugin`);
    assert.equal(typeof c.source, "string");
    for (const r of rulesOf(f)) {
      assert.equal(r.type, "temporary", `${f}: ${r.reason}`);
      assert.match(r.reason, /^[A-Z][A-Za-z]+$/);
      npdRegex(r.pattern);
    }
  }
});

test("NPD regexes over the labelled log corpus: precision and recall >= 0.9, computed", () => {
  const res = LOG_CONFIGS.flatMap((f) => rulesOf(f).map((r) => npdRegex(r.pattern)));
  // NPD sees one message per physical line: a wrapped row counts as found if any of its lines matches.
  const hit = (row: Row): boolean => row.line.split("\n").some((l) => res.some((re) => re.test(l)));
  let tp = 0, fp = 0, fn = 0;
  const misses: string[] = [];
  for (const row of corpus) {
    const positive = row.label !== "negative";
    const h = hit(row);
    if (h && positive) tp++;
    else if (h) { fp++; misses.push(`false positive (${row.source}): ${row.line.slice(0, 120)}`); }
    else if (positive) { fn++; misses.push(`missed ${row.label} (${row.source}): ${row.line.slice(0, 120)}`); }
  }
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  const negatives = corpus.filter((r) => r.label === "negative").length;
  assert.ok(tp + fn >= 40 && negatives >= 50, `corpus too small: ${tp + fn} positives, ${negatives} negatives`);
  const summary = `precision ${precision.toFixed(3)} recall ${recall.toFixed(3)} (tp ${tp}, fp ${fp}, fn ${fn})\n${misses.join("\n")}`;
  assert.ok(precision >= 0.9, summary);
  assert.ok(recall >= 0.9, summary);
  console.log(`# NPD regexes: ${summary}`);
});

test("NPD custom-plugin-monitor: a permanent rule sets MemoryCgroupLeak by running cgleak check", () => {
  const c = read("cgleak-plugin-monitor.json");
  assert.equal(c.plugin, "custom");
  const cfg = c.pluginConfig as Record<string, unknown>;
  assert.equal(cfg.max_output_length, 80, "cgleak check prints at most 80 bytes; NPD must not cut less");
  assert.deepEqual((c.conditions as Array<{ type: string }>).map((x) => x.type), ["MemoryCgroupLeak"]);
  const [rule] = c.rules as Array<Record<string, unknown>>;
  assert.equal(rule?.type, "permanent");
  assert.equal(rule?.condition, "MemoryCgroupLeak");
  assert.deepEqual((rule?.args as string[]).slice(0, 1), ["check"]);
  assert.ok((rule?.args as string[]).includes("--host-root"), "NPD runs in a container: the host is under --host-root");
});
