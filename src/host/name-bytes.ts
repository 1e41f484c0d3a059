import { isUtf8 } from "node:buffer";

/**
 * A file name as cgleak shows it when its bytes are not UTF-8 (mkdir accepts any byte but "/" and
 * NUL): valid UTF-8 sequences stay, every other byte becomes `\xHH`, and so does a backslash, so
 * that `\xff` in an escaped name always stands for the byte 0xff. Names that are UTF-8 are shown
 * as they are.
 */
export function escapeBytes(name: Buffer): string {
  if (isUtf8(name)) return name.toString("utf8");
  let out = "";
  let i = 0;
  while (i < name.length) {
    const n = sequenceLength(name[i] as number);
    if (n > 1 && i + n <= name.length && isUtf8(name.subarray(i, i + n))) {
      out += name.toString("utf8", i, i + n);
      i += n;
      continue;
    }
    const b = name[i] as number;
    out += b < 0x80 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
    i++;
  }
  return out;
}

/** The length a UTF-8 sequence starting with `lead` would have (1 for ASCII and stray bytes). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  return 1;
}
