import * as path from "node:path";
import type { Host } from "../host/host.js";
import { parseToolVersion, TOOLS, type Tool, type ToolVersion } from "../parsers/runtime-version.js";
import { readBinaryVersion, dpkgVersions, type BinaryToRead } from "./static-versions.js";
import { runningBinaries } from "./process-binaries.js";
import { runVersionSandboxed } from "../host/exec.js";

/** Binary names per tool: Docker 17.x shipped its runc as docker-runc. */
const NAMES: Record<Tool, string[]> = {
  runc: ["runc", "docker-runc"],
  containerd: ["containerd"],
  dockerd: ["dockerd"],
  crio: ["crio"],
  kubelet: ["kubelet"],
};
/** Where distros, Docker, GKE (/home/kubernetes/bin), Flatcar (/opt/bin) and k3s put them. */
export const USUAL_DIRS = [
  "/usr/local/sbin",
  "/usr/local/bin",
  "/usr/sbin",
  "/usr/bin",
  "/sbin",
  "/bin",
  "/usr/libexec/docker",
  "/opt/bin",
  "/home/kubernetes/bin",
  "/var/lib/rancher/k3s/data/current/bin",
];

export interface RuntimesOptions {
  /** --exec-versions only: per binary; a hang is killed (with its process group) after this. Default 5000 ms. */
  timeoutMs?: number;
  /** Extra PATH-style directory list to search first (host paths). */
  pathEnv?: string;
  /** `--versions` overrides: these tools are not looked at. */
  overrides?: ToolVersion[];
  /** --exec-versions: run `<bin> --version`, unprivileged, for binaries whose version cannot be read. Off by default. */
  exec?: boolean;
}

export interface RuntimesReport {
  versions: ToolVersion[];
  /** Tools with no binary under the host root (not installed, or elsewhere). */
  missing: Tool[];
}

/**
 * Finds runc, containerd, dockerd, crio and kubelet under the host root and learns their versions
 * without running anything from the host: the binaries' bytes (Go build info, linked version
 * strings), the running processes' /proc/<pid>/exe, and dpkg's database. Only with `exec` is a
 * binary run, and then unprivileged (host/exec.ts).
 */
export async function collectRuntimes(host: Host, opts: RuntimesOptions = {}): Promise<RuntimesReport> {
  const overridden = new Set((opts.overrides ?? []).map((o) => o.tool));
  const dirs = unique([...(opts.pathEnv ?? "").split(":").filter((d) => d.startsWith("/")), ...USUAL_DIRS]);
  const seen = new Set<string>();
  const files: BinaryToRead[] = [
    ...TOOLS.flatMap((tool) => findBinaries(host, tool, dirs)),
    ...runningBinaries(host),
  ].filter((f) => !overridden.has(f.tool) && firstSight(host, seen, f.path));
  // All reads first: they are synchronous, and would stall the timers of probes already started.
  const statics = files.map((f) => readBinaryVersion(host, f));
  const timeoutMs = opts.timeoutMs ?? 5000;
  const run = (tv: ToolVersion, i: number) =>
    tv.version === "unknown" && opts.exec ? probe(host, files[i]!, timeoutMs) : tv;
  const read = await Promise.all(statics.map(run));
  const known = new Set(read.filter((v) => v.version !== "unknown").map((v) => v.tool));
  const packages = dpkgVersions(host).filter((v) => !overridden.has(v.tool) && !known.has(v.tool));
  const versions = [...(opts.overrides ?? []), ...read, ...packages];
  const present = new Set(versions.map((v) => v.tool));
  return { versions, missing: TOOLS.filter((t) => !present.has(t)) };
}

/** One result per file: merged /usr, a symlink and /proc/<pid>/exe can all name one binary. */
function firstSight(host: Host, seen: Set<string>, hostPath: string): boolean {
  let id: string;
  try {
    const st = host.stat(hostPath);
    id = `${st.dev}:${st.ino}`;
  } catch {
    id = hostPath;
  }
  if (seen.has(id)) return false;
  seen.add(id);
  return true;
}

/** The tool's binaries, one per file (merged /usr makes /bin/x and /usr/bin/x the same), shown by the path found. */
export function findBinaries(host: Host, tool: Tool, dirs: string[]): BinaryToRead[] {
  const out = new Map<string, BinaryToRead>();
  for (const dir of dirs) {
    for (const name of NAMES[tool]) {
      const shown = path.posix.join(dir, name);
      const resolved = host.realpathUnderRoot(shown);
      if (resolved === undefined || out.has(resolved) || !isFile(host, resolved)) continue;
      out.set(resolved, { tool, path: resolved, shown, magicLink: false });
    }
  }
  return [...out.values()];
}

/** `<bin> --version`, run unprivileged (--exec-versions only). Garbage, a crash or a hang give "unknown" with the reason. */
export async function probe(host: Host, f: BinaryToRead, timeoutMs: number): Promise<ToolVersion> {
  const unknown = (reason: string, origin = `${f.shown} --version (--exec-versions)`): ToolVersion => ({
    tool: f.tool,
    version: "unknown",
    reason: `${f.shown}: ${reason}`,
    origin,
  });
  if (!host.isExecutable(f.path)) return unknown("not executable");
  const run = await runVersionSandboxed(host.path(f.path), timeoutMs);
  const origin = `${f.shown} --version, run ${run.sandbox} (--exec-versions)`;
  if (run.error) return unknown(run.error, origin);
  const tv = parseToolVersion(f.tool, run.output);
  tv.origin = origin;
  const exit = run.code ? ` (exit code ${run.code})` : "";
  if (tv.version === "unknown") tv.reason = `${f.shown}: ${tv.reason ?? "unrecognised output"}${exit}`;
  return tv;
}

function isFile(host: Host, hostPath: string): boolean {
  try {
    return host.stat(hostPath).isFile();
  } catch {
    return false;
  }
}

function unique(xs: string[]): string[] {
  return [...new Set(xs.map((x) => path.posix.normalize(x)))];
}
