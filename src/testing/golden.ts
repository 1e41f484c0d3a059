import * as fs from "node:fs";
import * as path from "node:path";
import assert from "node:assert/strict";
import { TESTDATA } from "./fixtures.js";

/** node_exporter's end-to-end fixtures, as files: set this to rewrite them from what the code prints now. */
export const UPDATE_GOLDEN = process.env.CGLEAK_UPDATE_GOLDEN === "1";

export const GOLDEN = path.join(TESTDATA, "golden");

/**
 * Compares `actual` with testdata/golden/<name>, or rewrites the file when CGLEAK_UPDATE_GOLDEN=1.
 * A missing file fails: a golden is reviewed in a diff, never made silently by a test run.
 */
export function assertGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (UPDATE_GOLDEN) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  assert.ok(fs.existsSync(file), `${file} is missing: run the test with CGLEAK_UPDATE_GOLDEN=1 and review the diff`);
  assert.equal(actual, fs.readFileSync(file, "utf8"), `${file} differs (CGLEAK_UPDATE_GOLDEN=1 rewrites it)`);
}

/** scan --json without what changes from run to run: the clock, where the repository lies, the timings. */
export function stableScanJson(text: string, hostRoot: string): string {
  const value: unknown = JSON.parse(text, (key, v: unknown) => {
    if (key === "time") return "<time>";
    if (/Seconds$/.test(key) && typeof v === "number") return "<seconds>";
    if (typeof v === "string" && v.includes(hostRoot)) return v.split(hostRoot).join("<host-root>");
    return v;
  });
  return JSON.stringify(value, null, 2) + "\n";
}

/** Series whose value is a clock, a duration or a count of loop turns: the name stays, the value goes. */
const VOLATILE =
  /^(cgleak_collector_duration_seconds|cgleak_\w*timestamp_seconds|cgleak_walks_total|cgleak_\w*_duration_seconds\w*|process_\w+|nodejs_\w+)\b/;

/** /metrics without blank lines and with volatile values replaced, in the order served. */
export function stableMetrics(text: string): string {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (!line.startsWith("#") && VOLATILE.test(line)) out.push(line.replace(/ [^ ]+$/, " <value>"));
    else out.push(line);
  }
  return out.join("\n") + "\n";
}
