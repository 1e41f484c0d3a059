import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import { fixtureRoot } from "../testing/fixtures.js";
import { startServe } from "../testing/serve.js";
import { hostAllowed, printable } from "./guard.js";
import { redactSecrets } from "../logs/redact.js";
import { thin } from "./api.js";

/** The HTTP surface of serve (issue 20 item 4). */
interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(base: string, pathAndQuery: string, opts: { method?: string; host?: string } = {}): Promise<Answer> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: pathAndQuery,
        method: opts.method ?? "GET",
        headers: opts.host === undefined ? {} : { host: opts.host },
      },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

test("serve answers bad input with 400, other methods with 405 and Allow, strange hosts with 421; every answer has the security headers", async () => {
  const s = await startServe([
    "--host-root",
    fixtureRoot("centos7-v1-near-cap"),
    "--db",
    ":memory:",
    "--interval",
    "1s",
    "--allowed-host",
    "cgleak.example",
  ]);
  try {
    const post = await request(s.url, "/api/status", { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, "GET, HEAD");
    for (const q of [
      "/api/history?since=yesterday-ish",
      "/api/history?points=0",
      "/api/history?points=4001",
      "/api/history?since=" + "9".repeat(400),
    ]) {
      const r = await request(s.url, q);
      assert.equal(r.status, 400, `${q}: ${r.body}`);
      assert.ok(r.body.length < 300, "the echo of bad input is cut");
    }
    assert.equal((await request(s.url, "//[")).status, 400, "a path no URL parser takes is bad input, not a 500");
    const page = await request(s.url, "/");
    assert.equal(page.status, 200);
    for (const h of ["x-content-type-options", "x-frame-options", "referrer-policy", "content-security-policy"])
      assert.ok(page.headers[h], `${h} on the page`);
    assert.match(String(page.headers["content-security-policy"]), /frame-ancestors 'none'/);
    assert.equal((await request(s.url, "/", { host: "evil.example:9999" })).status, 421);
    assert.equal((await request(s.url, "/api/status", { host: "evil.example" })).status, 421);
    assert.equal(
      (await request(s.url, "/metrics", { host: "evil.example" })).status,
      200,
      "scrapes by any name still work",
    );
    const health = await request(s.url, "/healthz", { host: "evil.example" });
    assert.equal(health.status, 200, "a probe through a proxy's --ignore-paths gets an answer");
    assert.equal(health.body, "ok\n", "and learns nothing of the node");
    for (const ok of ["cgleak.example:80", "localhost:8080", "10.244.1.7:9090", "[::1]:9090"])
      assert.equal((await request(s.url, "/", { host: ok })).status, 200, ok);
    const h = JSON.parse((await request(s.url, "/api/history?since=0&points=2")).body) as {
      samples: unknown[];
      points: number;
    };
    assert.ok(h.samples.length <= 2);
    assert.match(s.stderr(), /bad request 405 \(only GET and HEAD\): POST \/api\/status/);
    assert.doesNotMatch(s.stderr(), /9{200}/, "bad requests are logged cut short");
  } finally {
    await s.stop();
  }
});

test("hostAllowed lets IP literals, localhost and configured names through, and no other name", () => {
  const names = new Set(["node1.example"]);
  for (const h of [
    undefined,
    "127.0.0.1:9090",
    "10.0.0.5",
    "[fe80::1]:80",
    "localhost",
    "LOCALHOST:1",
    "node1.example:9090",
  ])
    assert.ok(hostAllowed(h, names), String(h));
  for (const h of ["attacker.example", "127.0.0.1.nip.io", "localhost.attacker.example", "node1.example.attacker"])
    assert.ok(!hostAllowed(h, names), h);
});

test("printable keeps a logged request on one short line", () => {
  assert.equal(printable("/a\nb\x1b[31m", 100), "/a\\x0ab\\x1b[31m");
  assert.equal(printable("x".repeat(200), 10), "xxxxxxxxxx...");
});

test("secrets in log excerpts and boot lines are hidden, the rest of the line kept", () => {
  const cases: Array<[string, string]> = [
    ["kubelet: token=abc123def456 mkdir failed", "kubelet: token=<redacted> mkdir failed"],
    ['dockerd: "password": "hunter2", "user": "x"', 'dockerd: "password": "<redacted>", "user": "x"'],
    [
      "curl -H 'Authorization: Bearer eyJhbGciOi.abc.def' http://x",
      "curl -H 'Authorization: Bearer <redacted>' http://x",
    ],
    ["pull https://bob:s3cret@registry.example/v2/", "pull https://bob:<redacted>@registry.example/v2/"],
    ["AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "AWS_SECRET_ACCESS_KEY=<redacted>"],
    [
      "mkdir /sys/fs/cgroup/memory/kubepods/pod1: no space left on device",
      "mkdir /sys/fs/cgroup/memory/kubepods/pod1: no space left on device",
    ],
  ];
  for (const [input, want] of cases) assert.equal(redactSecrets(input), want);
});

test("thin keeps at most n points, evenly spaced, first and newest included", () => {
  const xs = Array.from({ length: 1001 }, (_, i) => i);
  assert.deepEqual(thin(xs, 5), [0, 250, 500, 750, 1000]);
  assert.equal(thin(xs, 2000), xs);
});
