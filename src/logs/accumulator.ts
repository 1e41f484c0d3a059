import type { LineHit } from "./stream.js";
import type { SignatureKind } from "./signature.js";
import type { LogFinding, LogReport, LogSample, LogSourceStatus } from "./scan-logs.js";
import { lineTime } from "./time.js";
import { redactSecrets } from "./redact.js";

const MAX_PATHS = 1000;
/** Kinds that only suggest a leak: reported apart, never counted as the signature. */
const WEAK: ReadonlySet<SignatureKind> = new Set<SignatureKind>(["slub-possible"]);

/**
 * Folds hits into per-kind findings in O(kinds) memory. `now` places year-less syslog lines; serve's
 * tailer moves it forward at each check.
 */
export class Accumulator {
  total = 0;
  private readonly byKind = new Map<SignatureKind, LogFinding & { seen: Set<string> }>();
  constructor(
    readonly since: Date | undefined,
    public now: Date,
    private readonly maxSamples = 3,
  ) {}

  add(source: string, hit: LineHit): void {
    const time = lineTime(hit.text, this.now);
    if (time && this.since && time < this.since) return;
    const f = this.finding(hit.match.kind);
    const component = hit.match.component ?? "unknown";
    if (!WEAK.has(hit.match.kind)) this.total += 1;
    f.count += 1;
    f.components[component] = (f.components[component] ?? 0) + 1;
    if (hit.match.errno) f.errnos[hit.match.errno] = (f.errnos[hit.match.errno] ?? 0) + 1;
    const key = hit.match.path ?? hit.match.cache;
    if (key && f.seen.size < MAX_PATHS) f.seen.add(key);
    if (time) this.widen(f, time.toISOString());
    else f.undated += 1;
    if (f.samples.length < this.maxSamples) f.samples.push(sample(source, hit, component, time));
  }

  /** The report on what was folded so far, with each source's status. */
  report(sources: LogSourceStatus[]): LogReport {
    const report: LogReport = { sources, findings: this.findings(false), total: this.total };
    const possible = this.findings(true);
    if (possible.length > 0) report.possible = possible;
    if (this.since) report.since = this.since.toISOString();
    return report;
  }

  /** The strong findings, or (weak = true) the possible ones. */
  findings(weak: boolean): LogFinding[] {
    return [...this.byKind.values()]
      .filter((f) => WEAK.has(f.kind) === weak)
      .map(({ seen, ...f }) => ({ ...f, paths: seen.size }))
      .sort((a, b) => b.count - a.count);
  }

  private widen(f: LogFinding, iso: string): void {
    if (f.first === undefined || iso < f.first) f.first = iso;
    if (f.last === undefined || iso > f.last) f.last = iso;
  }

  private finding(kind: SignatureKind): LogFinding & { seen: Set<string> } {
    let f = this.byKind.get(kind);
    if (!f) {
      f = { kind, count: 0, undated: 0, components: {}, errnos: {}, paths: 0, samples: [], seen: new Set() };
      this.byKind.set(kind, f);
    }
    return f;
  }
}

function sample(source: string, hit: LineHit, component: string, time: Date | undefined): LogSample {
  // Excerpts travel (serve's /api, explain's evidence): secrets in them are hidden first.
  const text = redactSecrets(hit.text);
  const line = text.length > 400 ? `${text.slice(0, 397)}...` : text;
  const s: LogSample = { source, lineNumber: hit.lineNumber, component, line };
  if (time) s.time = time.toISOString();
  return s;
}
