import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { scanLogs } from "./scan-logs.js";
import { defaultLogSources } from "./sources.js";
import { Host } from "../host/host.js";
import { lineTime, parseSince } from "./time.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = new URL("../cli/logs.js", import.meta.url).pathname;

const LOG = [
  'Dec 24 11:54:31 n1 dockerd[7]: msg="caused \\"mkdir /sys/fs/cgroup/memory/docker/a1: no space left on device\\""',
  "Dec 24 11:55:00 n1 kubelet[8]: inotify_add_watch /sys/fs/cgroup/memory/kubepods/x: no space left on device",
  "Dec 24 12:10:02 n1 kubelet[8]: E1224 12:10:02.1 8 pod_workers.go:186] mkdir /sys/fs/cgroup/memory/kubepods/pod2: no space left on device",
  "Dec 25 09:00:00 n1 dockerd[7]: mkdir /sys/fs/cgroup/memory/docker/a3: no space left on device",
  "[8643296.448116] SLUB: Unable to allocate memory on node -1 (gfp=0x20)",
  "[8643296.448122]   cache: kmalloc-1024(1793:c8ed), object size: 1024",
].join("\n");

async function withLog<T>(text: string, fn: (file: string, dir: string) => T | Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-logs-"));
  try {
    const file = path.join(dir, "messages");
    fs.writeFileSync(file, `${text}\n`);
    return await fn(file, dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("scanLogs: counts, first/last time, components, distinct paths, samples per kind", async () => {
  const now = new Date(2018, 11, 31);
  const report = await withLog(LOG, (file) => scanLogs([{ type: "file", path: file }], { now, maxSamples: 2 }));
  assert.equal(report.total, 4);
  const [enospc, slub] = report.findings;
  assert.equal(enospc?.kind, "mkdir-enospc");
  assert.equal(enospc?.count, 3);
  assert.deepEqual(enospc?.components, { dockerd: 2, kubelet: 1 });
  assert.deepEqual(enospc?.errnos, { ENOSPC: 3 });
  assert.equal(enospc?.paths, 3);
  assert.equal(enospc?.first, new Date(2018, 11, 24, 11, 54, 31).toISOString());
  assert.equal(enospc?.last, new Date(2018, 11, 25, 9, 0, 0).toISOString());
  assert.deepEqual(
    enospc?.samples.map((s) => s.lineNumber),
    [1, 3],
  );
  assert.equal(slub?.kind, "slub-memcg");
  assert.equal(slub?.undated, 1);
  assert.equal(slub?.samples[0]?.lineNumber, 5);
});

test("scanLogs: since drops dated matches before it and keeps undated ones", async () => {
  const now = new Date(2018, 11, 31);
  const since = new Date(2018, 11, 25);
  const report = await withLog(LOG, (file) => scanLogs([{ type: "file", path: file }], { now, since }));
  assert.deepEqual(
    report.findings.map((f) => [f.kind, f.count]),
    [
      ["mkdir-enospc", 1],
      ["slub-memcg", 1],
    ],
  );
  assert.equal(report.since, since.toISOString());
});

test("scanLogs: an unreadable file is one line in sources; readable ones still count", async () => {
  const report = await withLog(LOG, (file, dir) =>
    scanLogs([
      { type: "file", path: path.join(dir, "nope") },
      { type: "file", path: dir },
      { type: "file", path: file },
    ]),
  );
  assert.deepEqual(
    report.sources.map((s) => s.ok),
    [false, false, true],
  );
  assert.match(report.sources[0]?.error ?? "", /^ENOENT: /);
  assert.match(report.sources[1]?.error ?? "", /^EISDIR: /);
  assert.equal(report.total, 4);
});

test("scanLogs with a Host: host paths resolve under its root; defaultLogSources lists what exists", async () => {
  await withLog("", async (_file, dir) => {
    fs.mkdirSync(path.join(dir, "var/log"), { recursive: true });
    fs.writeFileSync(path.join(dir, "var/log/messages"), `${LOG}\n`);
    const host = new Host(dir);
    const sources = defaultLogSources(host);
    assert.deepEqual(sources, [{ type: "file", path: "/var/log/messages" }]);
    const report = await scanLogs(sources, { host, now: new Date(2018, 11, 31) });
    assert.equal(report.sources[0]?.name, "/var/log/messages");
    assert.equal(report.total, 4);
  });
});

test("parseSince and lineTime: durations, dates, syslog without a year, short-iso zones", () => {
  const now = new Date(Date.UTC(2024, 0, 5, 12, 0, 0));
  assert.equal(parseSince("30m", now)?.toISOString(), "2024-01-05T11:30:00.000Z");
  assert.equal(parseSince("7d", now)?.toISOString(), "2023-12-29T12:00:00.000Z");
  assert.equal(parseSince("2024-01-01T00:00:00Z", now)?.toISOString(), "2024-01-01T00:00:00.000Z");
  assert.equal(parseSince("yesterday", now), undefined);
  assert.equal(parseSince("24", now), undefined);
  assert.equal(lineTime("2018-12-24T11:54:31+0800 h x[1]: y", now)?.toISOString(), "2018-12-24T03:54:31.000Z");
  assert.equal(lineTime("Dec 24 11:54:31 h x[1]: y", now)?.getFullYear(), 2023); // December is last year in January
  assert.equal(lineTime("[123.4] SLUB: y", now), undefined);
  const dockerd = 'Dec 24 11:54:31 h dockerd[1]: time="2018-12-24T11:54:31.1+08:00" level=error';
  assert.equal(lineTime(dockerd, now)?.toISOString(), "2018-12-24T03:54:31.100Z"); // the message's stamp has the year
});

function cli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { code: number | null; stdout: string; stderr: string } {
  const script = `import { Command } from "commander"; import { register } from ${JSON.stringify(CLI)};
const p = new Command("cgleak"); register(p); await p.parseAsync(process.argv.slice(1), { from: "user" });`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, "logs", ...args], {
    cwd: ROOT,
    env,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("cgleak logs: exit 0 with findings or none, 1 when nothing is readable, 2 on usage errors", async () => {
  await withLog(LOG, (file, dir) => {
    const found = cli([file]);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, /^mkdir-enospc: 3 lines from .* \(dockerd 2, kubelet 1\); 3 distinct cgroups$/m);
    const clean = path.join(dir, "clean");
    fs.writeFileSync(clean, "Dec 24 11:54:31 n1 kubelet[8]: all good\n");
    assert.match(cli([clean]).stdout, /No memory-cgroup leak signatures found/);
    const json = cli([file, path.join(dir, "missing"), "--json"]);
    assert.equal(json.code, 0);
    assert.equal((JSON.parse(json.stdout) as { total: number }).total, 4);
    assert.equal(json.stderr.trim().split("\n").length, 1);
    assert.match(json.stderr, /^cgleak logs: cannot read .*missing: ENOENT/);
    const none = cli([path.join(dir, "missing")]);
    assert.equal(none.code, 1);
    assert.doesNotMatch(none.stderr, /\n\s+at /, "no stack trace");
    assert.equal(cli([file, "--since", "soon"]).code, 2);
    assert.equal(cli([file, "--bogus"]).code, 2);
  });
});

test("cgleak logs: no FILE reads the journal from PATH with --since 24h", async () => {
  await withLog("", (_file, dir) => {
    const argsFile = path.join(dir, "args");
    fs.writeFileSync(
      path.join(dir, "journalctl"),
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\necho '2018-12-24T11:54:31+0800 n1 kernel: hello'\n`,
      { mode: 0o755 },
    );
    const r = cli([], { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Read journal \(1 lines\) since /);
    const args = fs.readFileSync(argsFile, "utf8").trim().split("\n");
    const since = new Date(args[args.indexOf("--since") + 1] as string);
    const hours = (Date.now() - since.getTime()) / 3600e3;
    assert.ok(hours > 23.9 && hours < 24.1, `--since was ${hours} h ago`);
  });
});

test("scanLogs: a header-less hit after a syslog line keeps its own line, component and (absent) time; a lone SLUB line at the end is 'possible'", async () => {
  const text = [
    "Dec 24 11:54:31 n1 kernel: eth0: link up",
    "docker: Error response from daemon: oci runtime error: mkdir /sys/fs/cgroup/memory/docker/a1: no space left on device.",
    "Dec 24 11:55:00 n1 kernel: SLUB: Unable to allocate memory on node -1 (gfp=0x20)",
  ].join("\n");
  const report = await withLog(text, (file) =>
    scanLogs([{ type: "file", path: file }], { now: new Date(2018, 11, 31) }),
  );
  const [mkdir] = report.findings;
  const [slub] = report.possible ?? [];
  assert.equal(report.total, 1, "a possible line is not counted as the signature");
  assert.deepEqual(
    [mkdir?.kind, mkdir?.undated, mkdir?.first, mkdir?.components],
    ["mkdir-enospc", 1, undefined, { dockerd: 1 }],
  );
  assert.deepEqual(
    mkdir?.samples.map((s) => [s.lineNumber, s.component, s.time]),
    [[2, "dockerd", undefined]],
  );
  assert.deepEqual(
    [slub?.kind, slub?.samples[0]?.lineNumber, slub?.first],
    ["slub-possible", 3, new Date(2018, 11, 24, 11, 55, 0).toISOString()],
  );
});
