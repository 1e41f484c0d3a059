import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The page at `/` of `cgleak serve` and its static files. They are not compiled: from src/web/ and
 * from dist/web/ alike, `../../src/web/` is the source folder, which the package ships.
 */
const WEB_DIR = fileURLToPath(new URL("../../src/web/", import.meta.url));

/** uPlot is served by cgleak itself, so the page needs no network beyond the node. */
function uplotDir(): string {
  return path.join(path.dirname(createRequire(import.meta.url).resolve("uplot/package.json")), "dist");
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const FILES: Record<string, { file: () => string; type: string }> = {
  "/": { file: () => path.join(WEB_DIR, "index.html"), type: "text/html; charset=utf-8" },
  "/static/app.js": { file: () => path.join(WEB_DIR, "app.js"), type: JS },
  "/static/chart.js": { file: () => path.join(WEB_DIR, "chart.js"), type: JS },
  "/static/style.css": { file: () => path.join(WEB_DIR, "style.css"), type: CSS },
  "/static/uPlot.iife.min.js": { file: () => path.join(uplotDir(), "uPlot.iife.min.js"), type: JS },
  "/static/uPlot.min.css": { file: () => path.join(uplotDir(), "uPlot.min.css"), type: CSS },
};

// Read once: the files do not change while the daemon runs, and a page load then costs no I/O.
const cache = new Map<string, Promise<string>>();

/** The page or one of its files for `pathname`, or null when it is not one of them. */
export async function serveWeb(pathname: string): Promise<{ type: string; body: string } | null> {
  const key = pathname === "/index.html" ? "/" : pathname;
  const entry = FILES[key];
  if (entry === undefined) return null;
  let body = cache.get(key);
  if (body === undefined) {
    body = readFile(entry.file(), "utf8");
    cache.set(key, body);
    // A failed read is not cached: the next request tries again (and the 500 names the file).
    body.catch(() => cache.delete(key));
  }
  return { type: entry.type, body: await body };
}
