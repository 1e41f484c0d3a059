import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * docs/CONVENTIONS.md's layers, as a rule the build checks: which folder may import which. Type-only
 * imports are free (they vanish at build time). `KNOWN` lists the crossings that exist today, each a
 * debt to pay: a new crossing fails, and so does a listed one that is gone (the list only shrinks).
 */
const SRC = fileURLToPath(new URL("../src/", import.meta.url));

const ALLOWED: Record<string, string[]> = {
  host: [],
  parsers: ["host"],
  knowledge: ["parsers"],
  collect: ["host", "parsers", "knowledge"],
  logs: ["host", "parsers", "knowledge"],
  // host: only for the one-line errors (host/errors.ts) a failed bound throws.
  analyze: ["knowledge", "parsers", "host"],
  store: ["analyze"],
  sinks: ["analyze", "knowledge"],
  fleet: ["analyze"],
  kube: ["analyze", "host", "knowledge", "parsers"],
  web: [],
  actions: ["host", "collect", "parsers", "knowledge", "analyze"],
  // serve --reap runs the reaper (an action) on its own timer.
  serve: ["host", "collect", "parsers", "knowledge", "analyze", "logs", "sinks", "store", "kube", "web", "scan", "actions"],
  scan: ["host", "collect", "parsers", "knowledge", "analyze", "logs"],
  explain: ["host", "collect", "parsers", "knowledge", "analyze", "logs", "store", "scan"],
};
/** Composition roots and dev tools import what they need. */
const FREE = new Set(["cli", "build", "bench", "testing", "lab", "deploy"]);
/** Layers that decide or parse do no I/O; collectors read only through Host (src/host/host.ts). */
const NO_IO = new Set(["parsers", "knowledge", "analyze", "sinks", "fleet", "collect"]);
const IO = /^node:(fs|child_process|fs\/promises)$/;

const KNOWN = new Set([
  // Collectors that go around Host: the walk (fts-style chdir for speed), the tracer, the version readers.
  "collect/charge-reader.ts -> node:fs",
  "collect/exec-version.ts -> node:child_process",
  "collect/exec-version.ts -> node:fs",
  "collect/tracefs.ts -> node:child_process",
  "collect/process-binaries.ts -> node:fs",
  "collect/runtimes.ts -> node:fs",
  "collect/static-versions.ts -> node:fs",
  "collect/tracefs.ts -> node:fs",
  // Test helpers that still live in production folders (they belong in src/testing/).
  "kube/testing.ts -> testing",
  "serve/testing.ts -> testing",
  "web/page-check.ts -> store",
  // Present and decide in the wrong layer.
  "sinks/trace-text.ts -> kube",
  "collect/dying-tracer.ts -> analyze",
  "explain.ts -> serve",
]);

function layerOf(rel: string): string {
  const parts = rel.split("/");
  return parts.length === 1 ? (parts[0] as string).replace(/\.(ts|js)$/, "") : (parts[0] as string);
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Value imports only: `import type` and `export type` lines are skipped. */
function imports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gm)) out.push(m[1] as string);
  for (const m of text.matchAll(/await import\("([^"]+)"\)/g)) out.push(m[1] as string);
  return out;
}

function crossings(): string[] {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    const rel = path.relative(SRC, file).split(path.sep).join("/");
    const layer = layerOf(rel);
    if (FREE.has(layer)) continue;
    for (const spec of imports(fs.readFileSync(file, "utf8"))) {
      if (IO.test(spec) && NO_IO.has(layer)) found.push(`${rel} -> ${spec}`);
      if (!spec.startsWith(".")) continue;
      const target = layerOf(path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep).join("/"));
      if (target === layer || ALLOWED[layer]?.includes(target)) continue;
      found.push(`${rel} -> ${target}`);
    }
  }
  return [...new Set(found)].sort();
}

test("layers: no import crosses docs/CONVENTIONS.md's layers beyond the known debts, and deciding layers do no I/O", () => {
  const found = crossings();
  assert.deepEqual(found.filter((c) => !KNOWN.has(c)), [], "new layer crossings");
  assert.deepEqual([...KNOWN].filter((c) => !found.includes(c)), [], "paid debts: remove them from KNOWN");
});
