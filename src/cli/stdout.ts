import * as fs from "node:fs";

/**
 * Writes a command's whole output with write(2) on descriptor 1. process.stdout would do the same
 * for a file or a blocking pipe, but creating it loads Node's streams: ~7 ms of `cgleak scan`'s
 * start-up (node --cpu-prof). A reader that went away (`cgleak scan | head -1`) ends the
 * output quietly, as with any Unix tool; a non-blocking descriptor hands the rest to process.stdout.
 */
export function writeStdout(text: string): void {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  try {
    while (off < buf.length) off += fs.writeSync(1, buf, off);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EPIPE") return;
    if (code !== "EAGAIN") throw err;
    process.stdout.write(buf.subarray(off));
  }
}
