import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Readable } from "node:stream";
import { MAX_LINE, eachLine, journalTime } from "./reader.js";
import { scanLogs } from "./scan-logs.js";

const HIT =
  'Dec 24 11:54:31 n1 dockerd[7]: caused \\"mkdir /sys/fs/cgroup/memory/docker/ab12: no space left on device\\"';
const MISS =
  "Dec 24 11:54:32 n1 kubelet[8]: I1224 11:54:32.000000 8 kubelet.go:100] SyncLoop (housekeeping) all pods fine";

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-logs-"));
}

async function lines(chunks: Array<string | Buffer>): Promise<string[]> {
  const out: string[] = [];
  await eachLine(Readable.from(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c))), (l) => out.push(l));
  return out;
}

test("eachLine: chunk boundaries, CRLF, a UTF-8 character split across chunks, no final newline", async () => {
  const euro = Buffer.from("€");
  const got = await lines([
    "a\r\nb",
    "c\n",
    Buffer.concat([Buffer.from("x"), euro.subarray(0, 1)]),
    Buffer.concat([euro.subarray(1), Buffer.from("\nlast")]),
  ]);
  assert.deepEqual(got, ["a", "bc", "x€", "last"]);
});

test("eachLine: a newline-free stream is cut at MAX_LINE instead of growing without bound", async () => {
  const big = "y".repeat(MAX_LINE * 3);
  const got = await lines([big.slice(0, MAX_LINE * 2), big.slice(MAX_LINE * 2), "\nz\n"]);
  assert.equal(got.length, 2);
  assert.ok((got[0] as string).length <= MAX_LINE * 2, `kept ${got[0]?.length} chars`);
  assert.equal(got[1], "z");
});

test("scanLogs: a rotated .gz file is read through gunzip; a corrupt one is one line of error", async () => {
  const dir = tmpDir();
  try {
    const gz = path.join(dir, "messages.1.gz");
    fs.writeFileSync(gz, zlib.gzipSync(`${MISS}\n${HIT}\n${MISS}\n${HIT}\n`));
    const bad = path.join(dir, "messages.2.gz");
    fs.writeFileSync(bad, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.from("not really gzip")]));
    const report = await scanLogs(
      [
        { type: "file", path: gz },
        { type: "file", path: bad },
      ],
      { now: new Date(2019, 0, 1) },
    );
    assert.deepEqual(
      report.sources.map((s) => [s.ok, s.lines]),
      [
        [true, 4],
        [false, 0],
      ],
    );
    assert.match(report.sources[1]?.error ?? "", /^[^\n]+$/);
    assert.equal(report.findings[0]?.kind, "mkdir-enospc");
    assert.equal(report.findings[0]?.count, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("scanLogs: a 200 MB log streams in constant memory (RSS growth < 50 MB)", { timeout: 60_000 }, async () => {
  const dir = tmpDir();
  const file = path.join(dir, "big.log");
  try {
    const block = Buffer.from(`${`${MISS}\n`.repeat(Math.floor((1 << 20) / (MISS.length + 1)))}${HIT}\n`);
    const fd = fs.openSync(file, "w");
    const blocks = Math.ceil((200 << 20) / block.length);
    for (let i = 0; i < blocks; i += 1) fs.writeSync(fd, block);
    fs.closeSync(fd);
    const base = process.memoryUsage().rss;
    let peak = base;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const started = Date.now();
    const report = await scanLogs([{ type: "file", path: file }], { now: new Date(2019, 0, 1) });
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const growth = (peak - base) / (1 << 20);
    process.stdout.write(`# 200 MB scan: ${Date.now() - started} ms, RSS growth ${growth.toFixed(1)} MiB\n`);
    assert.equal(report.total, blocks);
    assert.ok(growth < 50, `RSS grew ${growth.toFixed(1)} MiB`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("scanLogs: --journal runs journalctl -o short-iso --since from PATH", async () => {
  const dir = tmpDir();
  try {
    const argsFile = path.join(dir, "args");
    const out = [
      "2018-12-24T11:54:31+0800 n1 kubelet[1]: E1224 pod_workers.go:186] unable to ensure pod container exists: failed to create container for [kubepods besteffort pod1] : mkdir /sys/fs/cgroup/memory/kubepods/besteffort/pod1: no space left on device",
      "2018-12-24T11:54:35+0800 n1 systemd[1]: Started Session 5.",
    ].join("\n");
    fs.writeFileSync(path.join(dir, "out"), `${out}\n`);
    fs.writeFileSync(
      path.join(dir, "journalctl"),
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\ncat '${path.join(dir, "out")}'\n`,
      { mode: 0o755 },
    );
    const since = new Date(2018, 11, 23, 11, 54, 0);
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` };
    const report = await scanLogs([{ type: "journal" }], { since, env, now: new Date(2019, 0, 1) });
    const args = fs.readFileSync(argsFile, "utf8").trim().split("\n");
    assert.deepEqual(args.slice(0, 2), ["-o", "short-iso"]);
    assert.equal(args[args.indexOf("--since") + 1], journalTime(since));
    assert.deepEqual(report.sources[0], { name: "journal", type: "journal", ok: true, lines: 2 });
    const f = report.findings[0];
    assert.equal(f?.kind, "failed-create-pod-container");
    assert.equal(f?.first, "2018-12-24T03:54:31.000Z");
    assert.deepEqual(f?.components, { kubelet: 1 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("scanLogs: a journalctl that is missing or fails is reported, not thrown", async () => {
  const dir = tmpDir();
  try {
    fs.writeFileSync(path.join(dir, "failing"), "#!/bin/sh\necho 'No journal files were found.' >&2\nexit 1\n", {
      mode: 0o755,
    });
    const r1 = await scanLogs([{ type: "journal" }], { journalctl: path.join(dir, "missing") });
    assert.match(r1.sources[0]?.error ?? "", /not found/);
    const r2 = await scanLogs([{ type: "journal" }], { journalctl: path.join(dir, "failing") });
    assert.match(r2.sources[0]?.error ?? "", /status 1: No journal files were found\.$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
