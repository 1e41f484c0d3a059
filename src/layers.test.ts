import { test } from "node:test";
import assert from "node:assert/strict";
import { importCycles, imports, layerOf, read, sources, target } from "./testing/source-graph.js";

/**
 * docs/CONVENTIONS.md's layers, as a rule the build checks: which folder may import which. Type-only
 * imports are free (they vanish at build time). `KNOWN` lists the crossings that exist today, each a
 * debt to pay: a new crossing fails, and so does a listed one that is gone (the list only shrinks).
 */
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
  serve: [
    "host",
    "collect",
    "parsers",
    "knowledge",
    "analyze",
    "logs",
    "sinks",
    "store",
    "kube",
    "web",
    "scan",
    "actions",
  ],
  scan: ["host", "collect", "parsers", "knowledge", "analyze", "logs"],
  explain: ["host", "collect", "parsers", "knowledge", "analyze", "logs", "store", "scan"],
};
/** Composition roots and dev tools import what they need. */
const FREE = new Set(["cli", "build", "bench", "testing", "lab", "deploy"]);
/** Layers that decide or parse do no I/O; collectors read only through Host (src/host/host.ts). */
const NO_IO = new Set(["parsers", "knowledge", "analyze", "sinks", "fleet", "collect"]);
const IO = /^node:(fs|child_process|fs\/promises)$/;

/** Debts allowed across the layers; empty now, and a new one needs a reason here. */
const KNOWN = new Set<string>([]);

function crossings(): string[] {
  const found: string[] = [];
  for (const rel of sources()) {
    const layer = layerOf(rel);
    if (FREE.has(layer)) continue;
    for (const spec of imports(read(rel))) {
      if (IO.test(spec) && NO_IO.has(layer)) found.push(`${rel} -> ${spec}`);
      if (!spec.startsWith(".")) continue;
      const to = layerOf(target(rel, spec));
      if (to === layer || ALLOWED[layer]?.includes(to)) continue;
      found.push(`${rel} -> ${to}`);
    }
  }
  return [...new Set(found)].sort();
}

test("layers: no import crosses docs/CONVENTIONS.md's layers beyond the known debts, and deciding layers do no I/O", () => {
  const found = crossings();
  assert.deepEqual(
    found.filter((c) => !KNOWN.has(c)),
    [],
    "new layer crossings",
  );
  assert.deepEqual(
    [...KNOWN].filter((c) => !found.includes(c)),
    [],
    "paid debts: remove them from KNOWN",
  );
});

/** Only a composition root builds the Host: cli/ (main.ts and the commands), and the dev tools. */
const COMPOSERS = new Set(["cli", "testing", "bench", "build", "lab"]);

test("layers: only a composition root (src/cli/, dev tools) builds a Host", () => {
  const building = sources().filter((f) => !COMPOSERS.has(layerOf(f)) && /\bnew Host\(/.test(read(f)));
  assert.deepEqual(building, [], "Host built outside a composition root");
});

test("layers: no circle of load-time value imports (each would leave one side half-initialised)", () => {
  assert.deepEqual(importCycles(sources()), []);
});

const HELPER = /^(?:node:assert(?:\/strict)?|node:test)$|(?:^|\/)testing\//;

test("layers: test helpers live only in src/testing/ (left out of the package), not beside the code", () => {
  const helpers = sources().filter((f) => !["testing", "bench", "lab"].includes(layerOf(f)));
  assert.deepEqual(
    helpers.filter((f) => imports(read(f)).some((s) => HELPER.test(s))),
    [],
  );
});
