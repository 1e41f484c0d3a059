/**
 * /metrics latency while many clients pull /api/history: the loopback-only, bounded load of
 * issue 20 (48 clients, at most 10 s and 100 requests each). A database of 2 days raw, 30 days of
 * 5-minute and a year of hourly rows (what a node keeps, store/downsample.ts) is written first.
 * Half the clients ask the same window (the page's case: one shared answer), half each their own
 * number of points, so every answer of theirs is a fresh database read.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { openStore } from "../store/store.js";
import type { Sample } from "../analyze/sample.js";
import { fixtureRoot } from "../testing/fixtures.js";
import { startServe } from "../testing/serve.js";

const CLIENTS = 48;
const MAX_REQUESTS = 100;
const LOAD_MS = 10_000;
const MIN = 60_000;

function fill(file: string): number {
  const s = openStore(file);
  const now = Date.now();
  const rows: Sample[] = [];
  const add = (t: number): void =>
    void rows.push({
      t,
      bootId: "bench",
      total: 3000 + (t % 997),
      live: 2900,
      dying: 100,
      idsUsed: 3000,
      pinnedBytes: 4096,
    });
  for (let t = now - 400 * 1440 * MIN; t < now - 30 * 1440 * MIN; t += 60 * MIN) add(t);
  for (let t = now - 30 * 1440 * MIN; t < now - 2 * 1440 * MIN; t += 5 * MIN) add(t);
  for (let t = now - 2 * 1440 * MIN; t < now; t += 30_000) add(t);
  s.appendMany(rows);
  s.close();
  return rows.length;
}

async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url);
  await r.arrayBuffer();
  return performance.now() - t0;
}

/** Latencies of one client asking `url` every 100 ms; a failed request (a reset under load) counts as Infinity. */
async function probe(url: string, until: number): Promise<number[]> {
  const out: number[] = [];
  while (Date.now() < until) {
    out.push(await timed(url).catch(() => Infinity));
    await new Promise((r) => setTimeout(r, 100));
  }
  return out;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): string => (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN).toFixed(1);
  return `n=${s.length} p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`;
}

const dir = fs.mkdtempSync("/tmp/cgleak-bench-serve-load-");
try {
  const db = path.join(dir, "cgleak.db");
  const rows = fill(db);
  const s = await startServe(["--host-root", fixtureRoot("centos7-v1-near-cap"), "--db", db, "--interval", "5s"]);
  try {
    const idle = await probe(`${s.url}/metrics`, Date.now() + 2000);
    const until = Date.now() + LOAD_MS;
    let answered = 0;
    let failed = 0;
    const client = async (i: number): Promise<void> => {
      const q = i % 2 === 0 ? "since=0" : `since=0&points=${3000 + i}`;
      for (let n = 0; n < MAX_REQUESTS && Date.now() < until; n++) {
        try {
          await timed(`${s.url}/api/history?${q}`);
          answered++;
        } catch {
          failed++;
        }
      }
    };
    const [loaded] = await Promise.all([
      probe(`${s.url}/metrics`, until),
      ...Array.from({ length: CLIENTS }, (_, i) => client(i)),
    ]);
    process.stdout.write(
      `database: ${rows} rows\n/metrics idle: ${stats(idle)}\n/metrics under ${CLIENTS} clients on /api/history?since=0 (${answered} answers, ${failed} failed, in ${LOAD_MS / 1000} s): ${stats(loaded ?? [])}\n`,
    );
    const errors = s
      .stderr()
      .split("\n")
      .filter((l) => !/listening|walk|cheap/.test(l) && l !== "");
    if (errors.length > 0) process.stdout.write(`serve said: ${errors.slice(0, 5).join(" | ")}\n`);
  } finally {
    await s.stop();
  }
} finally {
  if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true });
}
