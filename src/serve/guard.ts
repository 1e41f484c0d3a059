import type * as http from "node:http";

/**
 * Headers on every answer. The page loads only its own files and talks only to /api (the same CSP
 * as its <meta>, plus frame-ancestors, which a <meta> cannot carry); nothing may frame it.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/**
 * DNS rebinding defence for the page and /api: a browser tricked into sending a request here
 * carries the attacker's host name. IP literals cannot be rebound, so they pass: the pod IP that
 * `kubectl proxy` (the API server's proxy) and Prometheus use, and the listen address. So do
 * localhost (`kubectl port-forward`) and the names given with --allowed-host. A request without
 * Host (HTTP/1.0) comes from no browser.
 */
export function hostAllowed(hostHeader: string | undefined, names: ReadonlySet<string>): boolean {
  if (hostHeader === undefined || hostHeader === "") return true;
  const host = hostHeader.toLowerCase().replace(/:\d+$/, "");
  if (/^\[[0-9a-f:.]+\]$/.test(host) || /^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return true;
  return host === "localhost" || host.endsWith(".localhost") || names.has(host);
}

/** Logs bad requests in one short line each, at most `perMinute` a minute: a flood cannot flood the log. */
export class BadRequestLog {
  private windowStart = 0;
  private count = 0;
  private dropped = 0;
  constructor(
    private readonly log: (line: string) => void,
    private readonly perMinute = 20,
    private readonly now = Date.now,
  ) {}

  note(req: http.IncomingMessage, code: number, why: string): void {
    const t = this.now();
    if (t - this.windowStart >= 60_000) {
      if (this.dropped > 0) this.log(`${this.dropped} more bad requests in the last minute not logged`);
      this.windowStart = t;
      this.count = 0;
      this.dropped = 0;
    }
    if (++this.count > this.perMinute) {
      this.dropped++;
      return;
    }
    this.log(`bad request ${code} (${why}): ${printable(req.method ?? "?", 10)} ${printable(req.url ?? "", 120)}`);
  }
}

/** At most `max` characters, control characters and non-ASCII shown escaped: a log line stays one line. */
export function printable(s: string, max: number): string {
  const cut = s.length > max ? `${s.slice(0, max)}...` : s;
  return cut.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
