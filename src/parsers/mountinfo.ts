import { ParseError } from "../host/errors.js";

/** One line of /proc/<pid>/mountinfo (Documentation/filesystems/proc.rst §3.5). */
export interface MountInfo {
  mountId: number;
  parentId: number;
  /** The path inside the mounted filesystem that is mounted here (a container sees "/kubepods/..."). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string[];
}

/** Parses /proc/<pid>/mountinfo: `id parent maj:min root point opts [optional...] - type source superopts`. */
export function parseMountInfo(text: string, file = "/proc/self/mountinfo"): MountInfo[] {
  const out: MountInfo[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    // The kernel escapes what a path may hold (show_mountinfo, mangle()); a NUL is never written.
    if (line.includes("\0"))
      throw new ParseError(file, i + 1, "a NUL byte, which the kernel never writes here", line.replace(/\0/g, "\\0"));
    const f = line.split(" ");
    const sep = f.indexOf("-", 6);
    if (sep < 0 || f.length < sep + 4) {
      throw new ParseError(
        file,
        i + 1,
        'expected "id parent maj:min root mountpoint options ... - fstype source superoptions"',
        line,
      );
    }
    const mountId = Number(f[0]);
    const parentId = Number(f[1]);
    if (!Number.isInteger(mountId) || !Number.isInteger(parentId)) {
      throw new ParseError(file, i + 1, "expected numeric mount and parent ids", line);
    }
    out.push({
      mountId,
      parentId,
      root: unescapeOctal(f[3] as string),
      mountPoint: unescapeOctal(f[4] as string),
      fsType: f[sep + 1] as string,
      source: unescapeOctal(f[sep + 2] as string),
      superOptions: (f[sep + 3] as string).split(","),
    });
  });
  return out;
}

/** The kernel escapes space, tab, newline and backslash in paths as \040-style octal. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
