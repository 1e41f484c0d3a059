import * as fs from "node:fs";

/** Writes a cgroup/proc knob; EAGAIN/EBUSY are results to report (no swap), not crashes. */
export function writeKnob(file: string, value: string): string | undefined {
  try {
    fs.writeFileSync(file, value);
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== "EAGAIN" && e.code !== "EBUSY" && e.code !== "EINTR") throw err;
    return `${file.split("/").pop()}: ${e.code} (the kernel could not reclaim everything)`;
  }
}
