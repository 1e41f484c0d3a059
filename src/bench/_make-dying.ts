/**
 * A child process that makes N dying memcgs, each pinned by one page of page cache: for each,
 * mkdir, join it (this process, never the benchmark's), write its own 4 KiB page of one shared
 * file, go back to `home`, rmdir. One file rather than one per memcg so that inodes and dentries
 * do not swell the Slab figure being measured.
 *
 *   node _make-dying.js PARENT HOME N FILE [FIRST]
 */
import * as fs from "node:fs";

const [parent, home, nArg, file, firstArg] = process.argv.slice(2);
if (parent === undefined || home === undefined || nArg === undefined || file === undefined) {
  process.stderr.write("usage: _make-dying.js PARENT HOME N FILE [FIRST]\n");
  process.exit(2);
}
const n = Number(nArg);
const first = Number(firstArg ?? "1");
const page = Buffer.alloc(4096, 0x5a);
// not O_APPEND: pwrite to a position must land there
const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
const pid = String(process.pid);

function rmdirRetry(dir: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      // the move out is seen a moment later
      if ((err as NodeJS.ErrnoException).code !== "EBUSY" || attempt > 100) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

for (let i = first; i < first + n; i++) {
  const dir = `${parent}/d${i}`;
  fs.mkdirSync(dir);
  fs.writeFileSync(`${dir}/cgroup.procs`, pid);
  fs.writeSync(fd, page, 0, page.length, i * 4096);
  fs.writeFileSync(`${home}/cgroup.procs`, pid);
  rmdirRetry(dir);
}
fs.closeSync(fd);
process.stdout.write(`${n}\n`);
