import { PREFILTER, componentOf, matchLine } from "./signature.js";
import type { LogMatch } from "./signature.js";

/** A match with where it was found; `text` is the (joined) line that matched. */
export interface LineHit {
  match: LogMatch;
  lineNumber: number;
  text: string;
}

type Wrap = { lineNumber: number; hard: string; soft: string; pieces: number };
type Slub = { lineNumber: number; text: string; left: number; cacheNext: boolean };

/**
 * Feeds lines in order and reports each match at its own line, with its own time and component:
 * - a line that matches by itself is its own record, never glued to the syslog or dmesg line
 *   before it;
 * - a line wrapped by a terminal, `fold` or `kubectl describe` over several physical lines is
 *   joined back: a record starts at a header (syslog, short-iso, glog, dmesg, logrus) or at a
 *   header-less line that begins a message of its own (`mkdir: ...`, `docker: ...`, a kubectl
 *   event, an lxc log line); the lines after it that begin nothing are its pieces (at most 12, 8 KiB);
 * - the kernel's `SLUB: Unable to allocate memory on node -1` counts as `slub-memcg` when its
 *   `cache:` line (printed right after it by slab_out_of_memory) names a per-memcg cache,
 *   `name(<css id>:<cgroup>)` as memcg_create_kmem_cache names them before 5.9 (runc#1725); a
 *   `cache:` line naming one counts alone; a SLUB line with no `cache:` line is `slub-possible`.
 * Pure state machine, no I/O: constant memory whatever the input size. Call end() after the last line.
 */
export class SignatureStream {
  private wrap: Wrap | undefined;
  private slub: Slub | undefined;
  private n = 0;

  push(line: string): LineHit[] {
    this.n += 1;
    const hits = this.checkSlub(line);
    const header = hasHeader(line);
    // The record-start patterns only matter while a record is open: most lines skip them.
    const boundary = header || (this.wrap !== undefined && startsRecord(line));
    if (boundary) this.wrap = undefined;
    const keyword = WRAP_HEAD.test(line); // a superset of matchLine's prefilter
    const direct = keyword ? matchLine(line) : undefined;
    if (direct) {
      this.wrap = undefined;
      hits.push({ match: direct, lineNumber: this.n, text: line });
      return hits;
    }
    const joined = boundary ? undefined : this.continueWrap(line);
    if (joined) hits.push(joined);
    else if (!this.wrap && (header || keyword) && !SLUB.test(line)) {
      this.wrap = { lineNumber: this.n, hard: line, soft: line, pieces: 1 };
    }
    return hits;
  }

  /** What the input's end decides: a SLUB line still waiting for its `cache:` line. */
  end(): LineHit[] {
    const pending = this.slub;
    this.slub = undefined;
    return pending ? [possible(pending)] : [];
  }

  /** Appends a piece to the record it continues and matches the record again. */
  private continueWrap(line: string): LineHit | undefined {
    const w = this.wrap;
    if (!w) return undefined;
    if (w.pieces >= MAX_PIECES || w.hard.length > MAX_JOINED) {
      this.wrap = undefined;
      return undefined;
    }
    // Hard wraps (terminals, fold -s) lose no character; word wraps drop the space at the break.
    w.hard += line;
    w.soft += /\s$/.test(w.soft) || /^\s/.test(line) ? line : ` ${line}`;
    w.pieces += 1;
    for (const text of [w.hard, w.soft]) {
      const match = matchLine(text);
      if (match) {
        this.wrap = undefined;
        return { match, lineNumber: w.lineNumber, text };
      }
    }
    return undefined;
  }

  private checkSlub(line: string): LineHit[] {
    const out: LineHit[] = [];
    const isSlub = SLUB.test(line);
    const pending = this.slub;
    if (pending) {
      const cache = CACHE.exec(pending.cacheNext ? `cache: ${line}` : line);
      if (cache) out.push(slubHit(pending.lineNumber, `${pending.text}\n${line}`, cacheName(cache), pending.text));
      else if (/\bcache:\s*$/.test(line)) pending.cacheNext = true;
      else if (/\bcache:/.test(line))
        this.slub = undefined; // a global cache: not a memcg's
      else if (isSlub || --pending.left <= 0) out.push(possible(pending));
      if (cache || isSlub || pending.left <= 0) this.slub = undefined;
    } else if (!isSlub) {
      const cache = CACHE.exec(line);
      if (cache) out.push(slubHit(this.n, line, cacheName(cache), line));
    }
    if (isSlub) this.slub = { lineNumber: this.n, text: line, left: SLUB_WINDOW, cacheNext: false };
    return out;
  }
}

const MAX_PIECES = 12;
const WRAP_HEAD = new RegExp(`${PREFILTER.source}|FailedCreatePodContainer|unable to ensure pod`, "i");
const MAX_JOINED = 8192;
const SLUB_WINDOW = 3;
const SLUB = /SLUB: Unable to allocate/;
const CACHE = /\bcache:\s*([^\s,(]+)\((\d+):([^)\s]+)\)/;

function cacheName(m: RegExpExecArray): string {
  return `${m[1]}(${m[2]}:${m[3]})`;
}

function slubHit(lineNumber: number, text: string, cache: string, first: string): LineHit {
  return { match: { kind: "slub-memcg", cache, component: kernelOr(first) }, lineNumber, text };
}

function possible(p: Slub): LineHit {
  return { match: { kind: "slub-possible", component: kernelOr(p.text) }, lineNumber: p.lineNumber, text: p.text };
}

function kernelOr(line: string): string {
  const c = componentOf(line);
  return c === "unknown" ? "kernel" : c;
}

/** A line that starts a new log record rather than continuing a wrapped one. */
export function hasHeader(line: string): boolean {
  return (
    /^[A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d\s/.test(line) || // syslog
    /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(line) || // journalctl -o short-iso, RFC 3339
    /^[IWEF]\d{4}\s+\d\d:\d\d:\d\d/.test(line) || // glog (kubelet)
    /^\[\s*\d+\.\d+\]/.test(line) || // dmesg
    /^(?:time=|level=|\{)/.test(line) // logrus / JSON
  );
}

// Header-less lines that begin a message of their own; a wrapped piece rarely looks like these.
const RECORD_STARTS: readonly RegExp[] = [
  /^\s*(?:Warning|Normal)\s{2,}[A-Z]\w+\s/, // kubectl describe events
  /^[a-z][\w.-]*(?:\[\d+\])?: \S/, // `prog: message`: mkdir:, docker:, nsenter:, lxc-start:
  /^(?:ERRO|WARN|INFO|FATA|DEBU)\[\d+\]/, // logrus text format
  /^(?:Error|Failed|FATAL|ERROR)\b/, // CLI errors
  /^\s*\S+(?: \S+)? \d{14}\.\d{3} [A-Z]+\s/, // lxc's own log file
  /^\[\d{4}-\d\d-\d\d[T ]/, // CI logs' bracketed ISO stamp
  /^\s*[#$] /, // a shell prompt
];

/** A header, or a header-less line that begins a message of its own. */
export function startsRecord(line: string): boolean {
  return hasHeader(line) || RECORD_STARTS.some((re) => re.test(line));
}
