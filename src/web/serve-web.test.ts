import { test } from "node:test";
import assert from "node:assert/strict";
import { serveWeb } from "./serve-web.js";

test("serveWeb serves the page and every file it links, and nothing else", async () => {
  const page = await serveWeb("/");
  assert.ok(page, "/ is the page");
  assert.match(page.type, /^text\/html/);
  const links = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
  const local = links.filter((l) => l.startsWith("static/"));
  assert.ok(local.length >= 5, `the page links its scripts and styles: ${links.join(" ")}`);
  for (const l of local) {
    const f = await serveWeb(`/${l}`);
    assert.ok(f && String(f.body).length > 100, `${l} is served`);
    assert.match(f.type, l.endsWith(".js") ? /^text\/javascript/ : /^text\/css/);
  }
  // No CDN, no other host, no absolute path (the page must work under kubectl proxy's prefix):
  // only paths relative to the page (and the empty data: favicon).
  assert.deepEqual(
    links.filter((l) => /^(\/|[a-z]+:)/.test(l) && l !== "data:,"),
    [],
  );
  assert.equal(await serveWeb("/static/../package.json"), null);
  assert.equal(await serveWeb("/api/status"), null, "the API stays with http.ts");
});

test("the page's scripts fetch only api/*, relative to the page, and change nothing", async () => {
  for (const f of ["/static/app.js", "/static/chart.js"]) {
    const js = String((await serveWeb(f))?.body);
    const fetched = [...js.matchAll(/getJson\(([^)]*)\)|fetch\(([^,)]*)/g)].map((m) => (m[1] ?? m[2]) as string);
    for (const arg of fetched)
      assert.match(
        arg,
        /^(`|")api\/|^path$/,
        `${f} fetches ${arg} (relative: kubectl proxy serves the page under a prefix)`,
      );
    assert.doesNotMatch(js, /method:\s*["'](POST|PUT|DELETE|PATCH)/i, `${f} sends no writes`);
    assert.doesNotMatch(js, /https?:\/\//, `${f} names no other host`);
  }
});

test("uPlot comes from node_modules, served by cgleak itself", async () => {
  const js = await serveWeb("/static/uPlot.iife.min.js");
  const css = await serveWeb("/static/uPlot.min.css");
  assert.match(String(js?.body), /uPlot/);
  assert.match(String(css?.body), /\.uplot/);
});
