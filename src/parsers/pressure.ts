import { ParseError } from "../host/errors.js";

export interface PressureLine {
  avg10: number;
  avg60: number;
  avg300: number;
  total: number;
}
export interface Pressure {
  some: PressureLine;
  full: PressureLine | null;
}

/**
 * Parses a PSI file, /proc/pressure/{memory,io,cpu} (Documentation/accounting/psi.rst):
 * `some avg10=0.00 avg60=0.00 avg300=0.00 total=0`, then a `full` line (absent for cpu before 5.13).
 */
export function parsePressure(text: string, file: string): Pressure {
  const out: Partial<Record<"some" | "full", PressureLine>> = {};
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const m = /^(some|full)\s+avg10=([\d.]+)\s+avg60=([\d.]+)\s+avg300=([\d.]+)\s+total=(\d+)\s*$/.exec(line);
    if (!m) throw new ParseError(file, i + 1, "expected `some|full avg10=N avg60=N avg300=N total=N`", line);
    out[m[1] as "some" | "full"] = {
      avg10: Number(m[2]),
      avg60: Number(m[3]),
      avg300: Number(m[4]),
      total: Number(m[5]),
    };
  });
  if (out.some === undefined) throw new ParseError(file, 1, "expected a `some` line");
  return { some: out.some, full: out.full ?? null };
}
