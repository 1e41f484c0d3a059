/**
 * Secrets that log lines and boot lines carry in the clear, hidden before an excerpt is kept:
 * `token=...`, `password: ...`, `Authorization: Bearer ...`, basic-auth URLs. The key stays, so
 * the line still reads; the value becomes "<redacted>".
 */
const KEY =
  "(?:access[_-]?key|api[_-]?key|auth[_-]?token|token|secret|passw(?:or)?d|passphrase|pwd|credentials?|private[_-]?key|session[_-]?id|cookie)";
const PATTERNS: Array<[RegExp, string]> = [
  [/\b(authorization\s*[:=]\s*"?(?:bearer|basic|token)\s+)[^\s"',;]+/gi, "$1<redacted>"],
  [/\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, "$1<redacted>"],
  [new RegExp(`(\\b[\\w.-]*${KEY}[\\w.-]*"?\\s*[:=]\\s*"?)[^\\s"',;&]+`, "gi"), "$1<redacted>"],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, "$1<redacted>@"],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [re, to] of PATTERNS) out = out.replace(re, to);
  return out;
}
