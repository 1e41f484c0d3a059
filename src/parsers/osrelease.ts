import { ParseError } from "../host/errors.js";

/** Parses /proc/sys/kernel/osrelease: one line, the kernel release (`6.1.0-18-amd64`). */
export function parseOsRelease(text: string, file = "/proc/sys/kernel/osrelease"): string {
  const release = text.split("\n")[0]?.trim() ?? "";
  if (release === "" || /\s/.test(release))
    throw new ParseError(file, 1, "expected one kernel release string", text.split("\n")[0]);
  return release;
}
