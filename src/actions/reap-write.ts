import { spawn, spawnSync } from "node:child_process";

export interface WriteResult {
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * The fallback writer: opens the file O_WRONLY|O_NONBLOCK and writes the value once; an error is
 * its errno's text on stderr. Used where dd is busybox's (the v2 lab, small images), which has no
 * oflag=nonblock; GNU dd is preferred, as it starts in a few ms where Node takes 50 ms or more.
 */
const WRITER = `const fs=require("fs");try{const fd=fs.openSync(process.argv[1],fs.constants.O_WRONLY|fs.constants.O_NONBLOCK);fs.writeSync(fd,process.argv[2]);fs.closeSync(fd)}catch(e){process.stderr.write(e.message);process.exit(1)}`;

/**
 * Writes a cgroup or /proc/sys knob from a child process, opened with O_NONBLOCK, killed with
 * SIGKILL after `timeoutMs`. Why a child: the kernel does the reclaim inside write(2), which would
 * block the daemon's event loop, and a reclaim loop (limit resize, force_empty, memory.reclaim)
 * stops with EINTR once its writer has a fatal signal pending, so killing the writer is the
 * timeout. O_NONBLOCK: kernels with the 2025 memcg patch
 * (https://lore.kernel.org/all/20250419183545.1982187-1-shakeel.butt@linux.dev/) skip the
 * synchronous reclaim of a v2 memory.max/memory.high write opened so; cgleak never writes those,
 * and the v1 limit, force_empty, memory.reclaim and drop_caches ignore the flag.
 */
export function writeKnobAsync(file: string, value: string, timeoutMs: number): Promise<WriteResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = gnuDd()
      ? spawn("dd", [`of=${file}`, "oflag=nonblock", "conv=notrunc", "status=none"], {
          stdio: ["pipe", "ignore", "pipe"],
        })
      : spawn(process.execPath, ["-e", WRITER, file, value], {
          stdio: ["pipe", "ignore", "pipe"],
          env: { ...process.env, NODE_EXTRA_CA_CERTS: "" },
        });
    child.stdin?.end(value);
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, ms: Date.now() - t0, error: `cannot start the writer: ${err.message}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const ms = Date.now() - t0;
      if (timedOut) return resolve({ ok: false, ms, error: `timed out after ${timeoutMs} ms (writer killed)` });
      if (code === 0) return resolve({ ok: true, ms });
      resolve({ ok: false, ms, error: errnoText(stderr) || `writer exit ${code}` });
    });
  });
}

let gnu: boolean | undefined;
function gnuDd(): boolean {
  gnu ??= /coreutils/.test(spawnSync("dd", ["--version"], { encoding: "utf8" }).stdout ?? "");
  return gnu;
}

/** "dd: error writing '/sys/...': Invalid argument" -> "Invalid argument"; the fallback's "EINVAL: ..." as is. */
function errnoText(stderr: string): string {
  const line = stderr.trim().split("\n").pop() ?? "";
  if (!line.startsWith("dd: ")) return line;
  const i = line.lastIndexOf(": ");
  return line.slice(i + 2);
}

/** `sync`, bounded: writeback of dirty pages, which reclaim cannot drop (kernel-lab: no sync, none freed). */
export function syncWithTimeout(timeoutMs: number): Promise<WriteResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn("sync", [], { stdio: "ignore" });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, ms: Date.now() - t0, error: err.message });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve(
        code === 0
          ? { ok: true, ms: Date.now() - t0 }
          : {
              ok: false,
              ms: Date.now() - t0,
              error: signal ? `sync killed after ${timeoutMs} ms` : `sync exit ${code}`,
            },
      );
    });
  });
}

/**
 * Writes `value` to `file` `times` times from one shell (each `printf > file` one open and one
 * write), stopping at the first refusal; killed after `timeoutMs` like writeKnobAsync.
 */
export function writeRepeated(file: string, value: string, times: number, timeoutMs: number): Promise<WriteResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const script = 'i=0; while [ "$i" -lt "$3" ]; do printf %s "$2" > "$1" || exit 1; i=$((i + 1)); done';
    const child = spawn("sh", ["-c", script, "sh", file, value, String(times)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, ms: Date.now() - t0, error: err.message });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - t0;
      if (signal) return resolve({ ok: false, ms, error: `timed out after ${timeoutMs} ms (writer killed)` });
      if (code === 0) return resolve({ ok: true, ms });
      const line = stderr.trim().split("\n").pop() ?? "";
      resolve({ ok: false, ms, error: line.slice(line.lastIndexOf(": ") + 2) || `exit ${code}` });
    });
  });
}
