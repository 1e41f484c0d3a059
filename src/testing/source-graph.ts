import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** The source tree the layer rules read (src/, beside dist/ where the tests run from). */
export const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** Source files (no tests, no declarations), as paths relative to src/ with "/" separators. */
export function sources(dir = SRC): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts")) out.push(rel(p));
  }
  return out;
}

export function read(relPath: string): string {
  return fs.readFileSync(path.join(SRC, relPath), "utf8");
}

/** The folder a file is in (its layer); a file at the top of src/ is a layer of its own. */
export function layerOf(relPath: string): string {
  const parts = relPath.split("/");
  return parts.length === 1 ? (parts[0] as string).replace(/\.(ts|js)$/, "") : (parts[0] as string);
}

/** Value imports (`import type` and `export type` are skipped); with `lazy`, `await import(...)` too. */
export function imports(text: string, lazy = true): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gm)) out.push(m[1] as string);
  if (lazy) for (const m of text.matchAll(/await import\("([^"]+)"\)/g)) out.push(m[1] as string);
  return out;
}

/** The source file a relative specifier in `from` names ("./x.js" → "dir/x.ts"). */
export function target(from: string, spec: string): string {
  return rel(path.resolve(path.dirname(path.join(SRC, from)), spec)).replace(/\.js$/, ".ts");
}

function rel(p: string): string {
  return path.relative(SRC, p).split(path.sep).join("/");
}

/** Strongly connected groups of more than one file in the graph of load-time (static) value imports. */
export function importCycles(files: string[]): string[][] {
  const local = (f: string): string[] =>
    imports(read(f), false)
      .filter((s) => s.startsWith("."))
      .map((s) => target(f, s));
  const graph = new Map(files.map((f) => [f, local(f)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) visit(w);
      if (stack.includes(w)) low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const group = stack.splice(stack.indexOf(v));
    if (group.length > 1) cycles.push(group.sort());
  };
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  return cycles;
}
