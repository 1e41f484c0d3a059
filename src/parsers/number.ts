import { ParseError } from "../host/errors.js";

/**
 * A whole number as the kernel prints it, or a ParseError naming file and line. Counts are never
 * negative, and a value past 2^53 cannot be held exactly by a JavaScript number: both mean the
 * file is not what the kernel wrote, so neither becomes a fact.
 */
export function wholeNumber(
  s: string,
  where: { file: string; line: number; field: string; text: string },
  signed = false,
): number {
  const ok = signed ? /^-?\d+$/ : /^\d+$/;
  if (!ok.test(s)) {
    const what = !signed && /^-\d+$/.test(s) ? "a count of zero or more" : "a whole number";
    throw new ParseError(
      where.file,
      where.line,
      `expected ${what} for ${where.field}, found ${JSON.stringify(clip(s))}`,
      where.text,
    );
  }
  const n = Number(s);
  if (!Number.isSafeInteger(n)) {
    throw new ParseError(
      where.file,
      where.line,
      `${where.field} is past 2^53, more than any kernel counter holds here`,
      where.text,
    );
  }
  return n;
}

function clip(s: string): string {
  return s.length > 24 ? `${s.slice(0, 21)}...` : s;
}
