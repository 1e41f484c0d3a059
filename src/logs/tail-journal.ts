import { eachJournalLine, type JournalOptions } from "./reader.js";
import { SignatureStream, type LineHit } from "./stream.js";

const CURSOR = "-- cursor: ";

/**
 * The systemd journal read a piece at a time: the first read asks journalctl for entries since the
 * window's start, each later one for the entries after the cursor the previous read ended at
 * (`--after-cursor`, `--show-cursor`; systemd 209+), with the same timeout as a full read. A read
 * that printed no entry, or failed (timeout) before its cursor line, leaves the cursor where it
 * was: the entries a failed read did print count again at the next one (a double count rather than
 * a miss; -o short-iso gives no cursor per entry).
 */
export class JournalTail {
  private cursor: string | undefined;
  private readonly stream = new SignatureStream();

  /** Reads the new entries; returns how many lines they were. Rejects as eachJournalLine does. */
  async read(opts: JournalOptions, onHit: (hit: LineHit) => void): Promise<number> {
    let lines = 0;
    let cursor: string | undefined;
    const args: JournalOptions = { ...opts, showCursor: true };
    if (this.cursor !== undefined) args.afterCursor = this.cursor;
    await eachJournalLine(args, (line) => {
      if (line.startsWith(CURSOR)) {
        cursor = line.slice(CURSOR.length).trim();
        return;
      }
      lines += 1;
      for (const hit of this.stream.push(line)) onHit(hit);
    });
    if (cursor !== undefined) this.cursor = cursor;
    return lines;
  }
}
