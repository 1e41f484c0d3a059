import { parseDuration } from "../parsers/duration.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Parses `--since`: a duration back from now (30m, 24h, 7d, 2w) or a date; undefined if neither. */
export function parseSince(text: string, now: Date): Date | undefined {
  const back = parseDuration(text);
  if (back !== undefined) return new Date(now.getTime() - back);
  if (!/^\d{4}-\d\d-\d\d/.test(text.trim())) return undefined;
  const t = Date.parse(text.trim());
  return Number.isNaN(t) ? undefined : new Date(t);
}

/**
 * When a log line was written, if it says: a syslog header (no year: the latest year that does
 * not put the line in the future, unless the message's own RFC 3339 stamp for that day gives it), a journalctl short-iso / RFC 3339 header, or an RFC 3339
 * time anywhere in the line (logrus `time="..."`). dmesg uptime stamps and glog headers have no
 * date, so those lines are undated.
 */
export function lineTime(line: string, now: Date): Date | undefined {
  const sys = /^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d\d):(\d\d):(\d\d)\s/.exec(line);
  const iso = /(\d{4})-(\d\d)-(\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)?/.exec(line.slice(0, 300));
  // A syslog header has no year; the daemon's own RFC 3339 stamp for the same day has one.
  const sameDay =
    sys && iso && MONTHS.indexOf(sys[1] as string) + 1 === Number(iso[2]) && Number(sys[2]) === Number(iso[3]);
  if (sys && !sameDay) return syslogTime(sys, now);
  if (!iso) return undefined;
  const zone = iso[5] === undefined ? "" : iso[5] === "Z" ? "Z" : `${iso[5].slice(0, 3)}:${iso[5].slice(-2)}`;
  const t = Date.parse(`${iso[1]}-${iso[2]}-${iso[3]}T${iso[4]}${zone}`);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function syslogTime(m: RegExpExecArray, now: Date): Date | undefined {
  const month = MONTHS.indexOf(m[1] as string);
  if (month < 0) return undefined;
  const at = (year: number): Date => new Date(year, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  const guess = at(now.getFullYear());
  // A day of slack for clock skew; beyond that the line is from last year.
  return guess.getTime() > now.getTime() + 86400e3 ? at(now.getFullYear() - 1) : guess;
}
