/**
 * A progress line on stderr: a redrawn bar on a terminal, otherwise a plain line every 10 %
 * (logs stay readable). Short runs print nothing.
 */
export class Progress {
  private lastPct = -1;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
    minTotal = 50,
  ) {
    this.tty = out.isTTY === true;
    if (total < minTotal) this.total = 0;
  }

  tick(done: number): void {
    if (this.total === 0) return;
    const pct = Math.floor((done / this.total) * 100);
    if (this.tty) {
      if (pct === this.lastPct) return;
      const width = 30;
      const filled = Math.round((done / this.total) * width);
      this.out.write(`\r${this.label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${this.total}`);
    } else {
      if (Math.floor(pct / 10) === Math.floor(this.lastPct / 10)) return;
      this.out.write(`${this.label}: ${done}/${this.total}\n`);
    }
    this.lastPct = pct;
  }

  end(): void {
    if (this.total > 0 && this.tty) this.out.write("\n");
  }
}
