import { spawn, type ChildProcess } from "node:child_process";
import { CLI } from "./fixtures.js";

/** The built CLI, run the way a user runs it. */
export const SERVE_CLI = CLI;

export interface Served {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
  stop(): Promise<{ code: number | null; ms: number }>;
}

/** Starts `cgleak serve` on a free loopback port and resolves once it listens. */
export function startServe(args: string[], timeoutMs = 30_000, env: Record<string, string> = {}): Promise<Served> {
  const proc = spawn(process.execPath, [SERVE_CLI, "serve", "--listen", "127.0.0.1:0", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
  });
  let err = "";
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const stop = async (): Promise<{ code: number | null; ms: number }> => {
    const t0 = Date.now();
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    const code = await exited;
    return { code, ms: Date.now() - t0 };
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`serve did not start: ${err}`));
    }, timeoutMs);
    proc.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/[^/\s]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1] as string, stderr: () => err, stop });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}: ${err}`));
    });
  });
}

export async function getText(url: string): Promise<{ status: number; text: string }> {
  const r = await fetch(url);
  return { status: r.status, text: await r.text() };
}

/** One sample's value from Prometheus text: `name{a="b"}` as written, or undefined when absent. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `fn` returns a value that is not undefined, or throws after `ms`. */
export async function waitFor<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
