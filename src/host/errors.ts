/**
 * Thrown by parsers when a kernel file does not look the way the kernel writes it.
 * The message names the file, the line and what was expected, so an operator can
 * check the file by hand: `Cannot parse /proc/cgroups line 3: expected 4 fields, found 2`.
 */
export class ParseError extends SyntaxError {
  override name = "ParseError" as const;
  constructor(
    readonly file: string,
    readonly lineNumber: number,
    readonly expected: string,
    readonly line?: string,
  ) {
    const where = lineNumber > 0 ? `${file} line ${lineNumber}` : file;
    const shown = line === undefined ? "" : ` (got ${JSON.stringify(truncate(line))})`;
    super(`Cannot parse ${where}: ${expected}${shown}`);
  }
}

/** A host file that could not be read: missing, unreadable, or not a file. */
export class HostReadError extends Error {
  override name = "HostReadError" as const;
  constructor(
    readonly file: string,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`Cannot read ${shortPath(file)}: ${detail}`);
  }
}

/** A host file cgleak was told to change and could not: the action stops there, in one line. */
export class HostWriteError extends Error {
  override name = "HostWriteError" as const;
  constructor(
    readonly file: string,
    readonly code: string,
    detail: string,
  ) {
    super(`Cannot write ${shortPath(file)}: ${detail}`);
  }
}

/** The host has no memory cgroup controller at all: nothing for cgleak to count. */
export class NoMemoryControllerError extends HostReadError {
  constructor(mountinfo: string, reason?: string) {
    super(mountinfo, "ENOMEMCG", "");
    this.message = `This host has no memory cgroup controller: ${mountinfo} lists no v1 "memory" hierarchy and no cgroup2 root whose cgroup.controllers has "memory"${reason ? `: ${reason}` : ""}`;
  }
}

/**
 * True for the errors cgleak reports in one line (ParseError, HostReadError and its subclasses).
 * By name, not instanceof: the bin bundles `scan` but loads the other commands as ES modules from
 * dist/ (src/build/bundle.ts), each side with its own copy of these classes.
 */
export function isHostError(err: unknown): err is ParseError | HostReadError | HostWriteError {
  return (
    err instanceof Error && (err.name === "ParseError" || err.name === "HostReadError" || err.name === "HostWriteError")
  );
}

/** A path of any length fits one readable line: its start and the name it ends in. */
function shortPath(p: string): string {
  return p.length > 160 ? `${p.slice(0, 80)}...${p.slice(-60)}` : p;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** True for the errno of a file or directory that is gone: a cgroup removed mid-walk. */
export function isVanished(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENODEV" || code === "ESTALE";
}
