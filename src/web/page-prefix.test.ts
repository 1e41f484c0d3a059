import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { launchChromium, noBrowser } from "../testing/browser.js";
import type { Browser, Page } from "playwright-core";
import { startServe, type Served } from "../testing/serve.js";
import { copyFixture } from "../testing/fixtures.js";

/**
 * The page as `kubectl proxy` shows it: under the API server's pod proxy path, which the proxy
 * strips before it reaches cgleak serve. The stand-in proxy below does the same, and can fail
 * (502) like a proxy whose pod went away.
 */
const PREFIX = "/api/v1/namespaces/cgleak/pods/cgleak-x7k2p:19597/proxy/";
let browser: Browser | undefined;

before(async () => {
  if (noBrowser) return;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

interface Proxy {
  url: string;
  down: boolean;
  close(): Promise<void>;
}

function prefixProxy(backend: string): Promise<Proxy> {
  const state = { down: false };
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    if (!url.startsWith(PREFIX)) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not under the proxy path: ${url}`);
      return;
    }
    if (state.down) {
      res.writeHead(502, { "content-type": "text/plain" }).end("error trying to reach service: connection refused");
      return;
    }
    const up = http.request(
      `${backend}/${url.slice(PREFIX.length)}`,
      { method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on("error", () => res.writeHead(502).end("backend error"));
    req.pipe(up);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve(
        Object.assign(state, {
          url: `http://127.0.0.1:${port}`,
          close: () =>
            new Promise<void>((r) => {
              server.closeAllConnections();
              server.close(() => r());
            }),
        }),
      );
    });
  });
}

const renders = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { cgleak: { renders: number } }).cgleak.renders);
const errorShown = (page: Page): Promise<string | null> =>
  page.evaluate(() => {
    const e = document.getElementById("error") as HTMLElement;
    return e.hidden ? null : e.textContent;
  });

test(
  "under kubectl proxy's path prefix: every URL stays under the prefix, the node's name heads the page and the tab, and errors say what failed and clear",
  { skip: noBrowser, timeout: 90_000 },
  async () => {
    const host = copyFixture("centos7-v1-near-cap");
    let served: Served | undefined;
    let proxy: Proxy | undefined;
    const context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 900 } });
    try {
      served = await startServe(
        ["--host-root", host, "--db", ":memory:", "--interval", "300ms", "--walk-interval", "1s"],
        undefined,
        { NODE_NAME: "worker-3" },
      );
      proxy = await prefixProxy(served.url);
      const page = await context.newPage();
      const requests: string[] = [];
      const failed: string[] = [];
      const errors: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      page.on("response", (r) => void (r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`)));
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${proxy.url}${PREFIX}?refresh=1`);
      await page.waitForFunction(
        () => ((window as unknown as { cgleak?: { renders: number } }).cgleak?.renders ?? 0) > 1,
        null,
        { timeout: 15_000 },
      );

      assert.deepEqual(failed, [], "nothing the page asked for failed");
      assert.deepEqual(
        requests.filter((u) => !u.startsWith(`${proxy!.url}${PREFIX}`)),
        [],
        "every request stays under the prefix",
      );
      assert.ok(
        requests.some((u) => u.includes(`${PREFIX}api/status`)) &&
          requests.some((u) => u.includes(`${PREFIX}static/app.js`)),
      );
      const links = await page.evaluate(() =>
        [...document.querySelectorAll("a[href]")].map((a) => (a as HTMLAnchorElement).href),
      );
      assert.deepEqual(
        links.filter((u) => !u.startsWith(`${proxy!.url}${PREFIX}`)),
        [],
        "the footer's links resolve under the prefix",
      );
      assert.equal(await page.textContent("#node"), "worker-3");
      assert.match(await page.title(), /^CRITICAL · worker-3 · cgleak$/);
      assert.equal(await errorShown(page), null);

      // The host becomes unreadable: the daemon still answers, with its last walk.
      const cgroups = path.join(host, "proc/cgroups");
      const saved = fs.readFileSync(cgroups, "utf8");
      fs.rmSync(cgroups);
      const hostError = await poll(page, async () => (await errorShown(page)) ?? undefined);
      assert.match(hostError, /^Cannot read this node: .*proc\/cgroups.*The figures below are from the last good walk/);
      assert.equal(await page.textContent("#level"), "CRITICAL", "the last picture stays");
      fs.writeFileSync(cgroups, saved);
      await poll(page, async () => ((await errorShown(page)) === null ? true : undefined));

      // The proxy loses the pod.
      proxy.down = true;
      const down = await poll(page, async () => (await errorShown(page)) ?? undefined);
      assert.match(down, /^Cannot reach cgleak serve \(api\/status answered HTTP 502: error trying to reach service/);
      proxy.down = false;
      const before = await renders(page);
      await poll(page, async () =>
        (await errorShown(page)) === null && (await renders(page)) > before ? true : undefined,
      );
      assert.deepEqual(errors, [], "no page errors");
    } finally {
      await context.close();
      await proxy?.close();
      await served?.stop();
      fs.rmSync(host, { recursive: true, force: true });
    }
  },
);

/** Polls the page (it refreshes every second) until fn gives a value. */
async function poll<T>(page: Page, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`page state not reached; error box: ${await errorShown(page)}`);
    await page.waitForTimeout(200);
  }
}
