import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { scanLogs, type LogReport } from "./scan-logs.js";
import { LogTailer } from "./tail.js";

/** serve's tailer against a full read of the same bytes (issue 20 item 9). */
const NOW = new Date(2019, 0, 2);
const SINCE = new Date(2018, 11, 30);
const ss = (n: number): string => String(n % 60).padStart(2, "0");
const ENOSPC = "no space left on device";
const hit = (day: number, n: number, who = "dockerd[7]"): string =>
  `Dec ${day} 11:54:${ss(n)} n1 ${who}: mkdir /sys/fs/cgroup/memory/docker/c${n}: ${ENOSPC}\n`;
const miss = (day: number, n: number): string => `Dec ${day} 12:00:${ss(n)} n1 systemd[1]: Started Session ${n}.\n`;
const undated = (n: number): string => `[86432${n}.448116] mkdir /sys/fs/cgroup/memory/kubepods/pod${n}: ${ENOSPC}\n`;

/** What a report says, less where each sample sat (a rotated line is found in messages.1 by the full read). */
function said(r: LogReport): unknown {
  const strip = (found: LogReport["findings"]): unknown =>
    found.map(({ samples, ...f }) => ({ ...f, samples: samples.map((s) => s.line) }));
  return { total: r.total, findings: strip(r.findings), possible: strip(r.possible ?? []) };
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-tail-"));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("tail: appends, a split line, rotation by rename and copytruncate add up to what a full read says", () =>
  withDir(async (dir) => {
    const log = path.join(dir, "messages");
    const tailer = new LogTailer({ since: SINCE });
    const check = (): Promise<LogReport> => tailer.check([{ type: "file", path: log }], NOW);
    const pieces: string[] = []; // the files a full read would see, in order
    fs.writeFileSync(log, hit(24, 1) + miss(31, 2) + hit(31, 3));
    assert.equal((await check()).total, 1, "a match before since is not counted");
    fs.appendFileSync(log, undated(4) + hit(31, 5, "kubelet[8]").slice(0, 30));
    assert.equal((await check()).total, 1, "the half-written line waits");
    fs.appendFileSync(log, hit(31, 5, "kubelet[8]").slice(30) + miss(31, 6));
    const third = await check();
    assert.deepEqual([third.total, third.findings[0]?.components], [1, { kubelet: 1 }], "joined, counted once");
    fs.appendFileSync(log, "[8643296.448116] SLUB: Unable to allocate memory on node -1 (gfp=0x20)\n");
    assert.equal((await check()).possible, undefined, "the SLUB line waits for its cache: line");
    fs.appendFileSync(log, "[8643296.448122]   cache: kmalloc-1024(1793:c8ed), object size: 1024\n");
    assert.equal((await check()).findings[0]?.kind, "slub-memcg", "one record across two checks");
    fs.appendFileSync(log, hit(31, 7));
    fs.renameSync(log, `${log}.1`);
    fs.appendFileSync(`${log}.1`, hit(31, 8)); // written by the daemon before it reopens its log
    pieces.push(fs.readFileSync(`${log}.1`, "utf8"));
    fs.writeFileSync(log, hit(31, 9) + miss(31, 10));
    assert.equal((await check()).total, 3, "the rotated file finished, the new one read from 0");
    fs.appendFileSync(log, hit(31, 11));
    await check();
    pieces.push(fs.readFileSync(log, "utf8"));
    fs.truncateSync(log, 0); // copytruncate, then the daemon writes on
    fs.appendFileSync(log, hit(31, 12) + undated(3));
    assert.equal((await check()).total, 2, "a shrunk file is read again from 0");
    fs.appendFileSync(log, hit(31, 13));
    await check();
    pieces.push(fs.readFileSync(log, "utf8"));
    const full = await fullRead(dir, pieces);
    assert.deepEqual(said(tailer.running()), said(full));
    assert.equal(tailer.running().total, 11);
  }));

test("tail: a file truncated and rewritten past the offset between two checks is read again from 0", () =>
  withDir(async (dir) => {
    const log = path.join(dir, "messages");
    const tailer = new LogTailer({ since: SINCE });
    fs.writeFileSync(log, miss(31, 1));
    await tailer.check([{ type: "file", path: log }], NOW);
    fs.writeFileSync(log, hit(31, 2) + miss(31, 3) + hit(31, 4)); // same inode, longer than before
    assert.equal((await tailer.check([{ type: "file", path: log }], NOW)).total, 2);
  }));

test("tail: a log replaced by a FIFO is refused by type, a vanished one is one line; the next read from 0", () =>
  withDir(async (dir) => {
    const log = path.join(dir, "messages");
    const tailer = new LogTailer({ since: SINCE });
    const check = (): Promise<LogReport> => tailer.check([{ type: "file", path: log }], NOW);
    fs.writeFileSync(log, hit(31, 1));
    assert.equal((await check()).total, 1);
    fs.rmSync(log);
    assert.equal(spawnSync("mkfifo", [log]).status, 0);
    const fifo = await check(); // no writer: it would block a plain open
    assert.match(fifo.sources[0]?.error ?? "", /^not a regular file \(a FIFO\)/);
    fs.rmSync(log);
    const gone = await check();
    assert.match(gone.sources[0]?.error ?? "", /^ENOENT: no such file or directory, open '.*messages'$/);
    fs.writeFileSync(log, hit(31, 2) + hit(31, 3));
    const back = await check();
    assert.deepEqual([back.total, back.sources[0]?.ok, tailer.running().total], [2, true, 3]);
  }));

test("tail: a gzip-compressed file is refused, not read as text", () =>
  withDir(async (dir) => {
    const gz = path.join(dir, "messages.1.gz");
    fs.writeFileSync(gz, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
    const r = await new LogTailer({ since: SINCE }).check([{ type: "file", path: gz }], NOW);
    assert.match(r.sources[0]?.error ?? "", /^gzip-compressed: serve follows live logs/);
  }));

async function fullRead(dir: string, pieces: string[]): Promise<LogReport> {
  const files = pieces.map((text, i) => {
    const file = path.join(dir, `full-${i}`);
    fs.writeFileSync(file, text);
    return { type: "file" as const, path: file };
  });
  return scanLogs(files, { since: SINCE, now: NOW });
}

test("tail: the first read of a big log starts near since, with the file's own line numbers in the samples", () =>
  withDir(async (dir) => {
    const log = path.join(dir, "messages");
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      const day = 20 + Math.floor(i / 4000); // Dec 20 .. Dec 29
      lines.push(i % 997 === 0 ? hit(day, i) : miss(day, i));
    }
    fs.writeFileSync(log, lines.join(""));
    const since = new Date(2018, 11, 28, 12);
    const tailer = new LogTailer({ since });
    const first = await tailer.check([{ type: "file", path: log }], NOW);
    const full = await scanLogs([{ type: "file", path: log }], { since, now: NOW });
    assert.deepEqual(first.findings, full.findings);
    assert.ok(full.total > 0 && (first.sources[0]?.lines ?? 0) < 40_000 / 4, `read ${first.sources[0]?.lines} lines`);
    const dmesg = path.join(dir, "dmesg");
    fs.writeFileSync(dmesg, Array.from({ length: 5000 }, (_, i) => undated(i)).join(""));
    const whole = await tailer.check([{ type: "file", path: dmesg }], NOW);
    assert.deepEqual([whole.sources[0]?.lines, whole.total], [5000, 5000], "no dated line: read whole, as before");
  }));
