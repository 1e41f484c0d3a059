import { PREFILTER, componentOf, matchLine } from "./signature.js";
import type { LogMatch } from "./signature.js";

/** A match with where it was found; `text` is the (joined) line that matched. */
export interface LineHit {
  match: LogMatch;
  lineNumber: number;
  text: string;
}

/**
 * Feeds lines in order and reports matches that need context a single line lacks:
 * - a line wrapped by a terminal, `fold` or `kubectl describe` over several physical lines: a
 *   record is a header line (syslog, short-iso, glog, dmesg, logrus) or a line with a signature
 *   keyword, plus the header-less lines after it, joined back (at most 12 pieces, 8 KiB);
 * - the kernel's `SLUB: Unable to allocate memory on node -1`, which is ambiguous alone and counts
 *   only when its `cache:` line (printed right after it by slab_out_of_memory) names a per-memcg
 *   cache, `name(<css id>:<cgroup>)` as memcg_create_kmem_cache names them before 5.9 (runc#1725).
 * Pure state machine, no I/O: constant memory whatever the input size.
 */
export class SignatureStream {
  private wrap: { lineNumber: number; hard: string; soft: string; pieces: number } | undefined;
  private slub: { lineNumber: number; text: string; left: number } | undefined;
  private n = 0;

  push(line: string): LineHit[] {
    this.n += 1;
    const hits: LineHit[] = [];
    const slub = this.checkSlub(line);
    if (slub) hits.push(slub);
    const header = hasHeader(line);
    if (header) this.wrap = undefined;
    // A record in progress goes first: its head may carry the time and context (FailedCreatePodContainer).
    const joined = this.continueWrap(line);
    if (joined) {
      hits.push(joined);
      return hits;
    }
    const direct = matchLine(line);
    if (direct) {
      this.wrap = undefined;
      hits.push({ match: direct, lineNumber: this.n, text: line });
    } else if (!this.wrap && (header || WRAP_HEAD.test(line)) && !/SLUB: Unable/.test(line)) {
      this.wrap = { lineNumber: this.n, hard: line, soft: line, pieces: 1 };
    }
    return hits;
  }

  /** Appends a header-less line to the record it continues and matches the record again. */
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

  private checkSlub(line: string): LineHit | undefined {
    const pending = this.slub;
    if (/SLUB: Unable to allocate memory on node/.test(line)) {
      this.slub = { lineNumber: this.n, text: line, left: SLUB_WINDOW };
      return undefined;
    }
    if (!pending) return undefined;
    const cache = /\bcache:\s*([^\s,(]+)\((\d+):([^)\s]*)\)/.exec(line);
    if (cache || /\bcache:/.test(line) || --pending.left <= 0) this.slub = undefined;
    if (!cache) return undefined;
    const match: LogMatch = { kind: "slub-memcg", cache: `${cache[1]}(${cache[2]}:${cache[3]})`, component: componentOf(pending.text) };
    return { match, lineNumber: pending.lineNumber, text: `${pending.text}\n${line}` };
  }
}

const MAX_PIECES = 12;
const WRAP_HEAD = new RegExp(`${PREFILTER.source}|FailedCreatePodContainer|unable to ensure pod`, "i");
const MAX_JOINED = 8192;
const SLUB_WINDOW = 3;

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
