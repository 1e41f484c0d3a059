import type { Host } from "../host/host.js";
import { eachJournalLine, eachLine, openLogFile } from "./reader.js";
import { SignatureStream } from "./stream.js";
import type { LineHit } from "./stream.js";
import type { Errno, SignatureKind } from "./signature.js";
import { Accumulator } from "./accumulator.js";

/** Where to look: a file (plain or .gz; "-" is stdin) or the systemd journal. */
export type LogSource = { type: "file"; path: string } | { type: "journal" };

export interface ScanLogsOptions {
  /** Ignore matches older than this (files: when the line carries a time; journal: `--since`). */
  since?: Date;
  /** "Now", for syslog lines without a year. Default: the real clock. */
  now?: Date;
  /** Resolve file paths and the journal directory under this host root (DaemonSet: /host). */
  host?: Host;
  /** journalctl binary, default "journalctl" from PATH. */
  journalctl?: string;
  /** Environment for journalctl (PATH decides which binary runs). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** Sample lines kept per finding (default 3). */
  maxSamples?: number;
}

/**
 * What the logs say. `findings` has one entry per signature kind seen, most frequent first;
 * an empty list with every source `ok` means "read everything, found no memcg-leak signature".
 */
export interface LogReport {
  sources: LogSourceStatus[];
  findings: LogFinding[];
  /** Weak signs kept apart from `findings` and `total`: a lone SLUB line (`slub-possible`). */
  possible?: LogFinding[];
  /** Matches over all kinds in `findings`. */
  total: number;
  /** ISO time the scan was limited to, if any. */
  since?: string;
}

/** One source and whether it could be read; `error` is a one-line reason (never a stack). */
export interface LogSourceStatus {
  name: string;
  type: "file" | "journal";
  ok: boolean;
  lines: number;
  error?: string;
}

export interface LogFinding {
  kind: SignatureKind;
  count: number;
  /** ISO times of the first and last dated match (undated lines: dmesg, glog, kubectl describe). */
  first?: string;
  last?: string;
  undated: number;
  /** Matches per logging component: dockerd, kubelet, containerd, crio, runc, systemd, kernel, ... */
  components: Record<string, number>;
  errnos: Partial<Record<Errno, number>>;
  /** Distinct failing cgroup paths seen (capped at 1000 so memory stays bounded). */
  paths: number;
  samples: LogSample[];
}

export interface LogSample {
  source: string;
  lineNumber: number;
  time?: string;
  component: string;
  /** The matching line, cut to 400 characters. */
  line: string;
}

/** Scans every source in turn; an unreadable source is reported in `sources`, never thrown. */
export async function scanLogs(sources: LogSource[], opts: ScanLogsOptions = {}): Promise<LogReport> {
  const acc = new Accumulator(opts.since, opts.now ?? new Date(), opts.maxSamples);
  const statuses: LogSourceStatus[] = [];
  for (const source of sources) statuses.push(await scanOne(source, opts, acc));
  return acc.report(statuses);
}

async function scanOne(source: LogSource, opts: ScanLogsOptions, acc: Accumulator): Promise<LogSourceStatus> {
  const name = source.type === "journal" ? "journal" : source.path;
  const stream = new SignatureStream();
  const onLine = (line: string): void => {
    for (const hit of stream.push(line)) acc.add(name, hit);
  };
  try {
    const lines =
      source.type === "journal"
        ? await eachJournalLine(journalOptions(opts), onLine)
        : await eachLine(
            openLogFile(opts.host && source.path !== "-" ? opts.host.path(source.path) : source.path),
            onLine,
          );
    for (const hit of stream.end()) acc.add(name, hit);
    return { name, type: source.type, ok: true, lines };
  } catch (err) {
    return { name, type: source.type, ok: false, lines: 0, error: oneLine(err) };
  }
}

export function journalOptions(opts: ScanLogsOptions): Parameters<typeof eachJournalLine>[0] {
  const j: Parameters<typeof eachJournalLine>[0] = {};
  if (opts.journalctl) j.command = opts.journalctl;
  if (opts.since) j.since = opts.since;
  if (opts.env) j.env = opts.env;
  if (opts.host && opts.host.root !== "/") j.root = opts.host.root;
  return j;
}

export function oneLine(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const text = e.code && e.syscall ? `${e.code}: ${e.message.replace(/^\w+: /, "")}` : String(e.message ?? err);
  return text.split("\n")[0] as string;
}
