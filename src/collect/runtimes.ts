import * as fs from "node:fs";
import * as path from "node:path";
import type { Host } from "../host/host.js";
import { parseToolVersion, TOOLS, type Tool, type ToolVersion } from "../parsers/runtime-version.js";
import { readBinaryVersion, dpkgVersions } from "./static-versions.js";
import { runningBinaries } from "./process-binaries.js";
import { runVersionSandboxed } from "./exec-version.js";

/** Binary names per tool: Docker 17.x shipped its runc as docker-runc. */
const NAMES: Record<Tool, string[]> = {
  runc: ["runc", "docker-runc"], containerd: ["containerd"], dockerd: ["dockerd"], crio: ["crio"], kubelet: ["kubelet"],
};
/** Where distros, Docker, GKE (/home/kubernetes/bin), Flatcar (/opt/bin) and k3s put them. */
export const USUAL_DIRS = [
  "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/libexec/docker",
  "/opt/bin", "/home/kubernetes/bin", "/var/lib/rancher/k3s/data/current/bin",
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
 * binary run, and then unprivileged (exec-version.ts).
 */
export async function collectRuntimes(host: Host, opts: RuntimesOptions = {}): Promise<RuntimesReport> {
  const overridden = new Set((opts.overrides ?? []).map((o) => o.tool));
  const dirs = unique([...(opts.pathEnv ?? "").split(":").filter((d) => d.startsWith("/")), ...USUAL_DIRS]);
  const resolve = (p: string) => resolveUnderRoot(host, p);
  const seen = new Set<string>();
  const files = [
    ...TOOLS.flatMap((tool) => findBinaries(host, tool, dirs).map((p) => ({ tool, real: resolve(p) ?? "", shown: p, magicLink: false }))),
    ...runningBinaries(host, resolve),
  ].filter((f) => !overridden.has(f.tool) && f.real !== "" && firstSight(seen, f.real));
  // All reads first: they are synchronous, and would stall the timers of probes already started.
  const statics = files.map((f) => readBinaryVersion(f.tool, f.real, f.shown, f.magicLink));
  const read = await Promise.all(statics.map((tv, i) => (tv.version === "unknown" && opts.exec ? probe(files[i]!.tool, files[i]!.shown, files[i]!.real, opts.timeoutMs ?? 5000) : tv)));
  const known = new Set(read.filter((v) => v.version !== "unknown").map((v) => v.tool));
  const packages = dpkgVersions(host).filter((v) => !overridden.has(v.tool) && !known.has(v.tool));
  const versions = [...(opts.overrides ?? []), ...read, ...packages];
  const present = new Set(versions.map((v) => v.tool));
  return { versions, missing: TOOLS.filter((t) => !present.has(t)) };
}

/** One result per file: merged /usr, a symlink and /proc/<pid>/exe can all name one binary. */
function firstSight(seen: Set<string>, real: string): boolean {
  let id: string;
  try {
    const st = fs.statSync(real);
    id = `${st.dev}:${st.ino}`;
  } catch {
    id = real;
  }
  if (seen.has(id)) return false;
  seen.add(id);
  return true;
}

/** Host paths of the tool's binaries, one per real file (merged /usr makes /bin/x and /usr/bin/x the same). */
export function findBinaries(host: Host, tool: Tool, dirs: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const dir of dirs) {
    for (const name of NAMES[tool]) {
      const hostPath = path.posix.join(dir, name);
      const real = resolveUnderRoot(host, hostPath);
      if (!real || seen.has(real) || !isFile(real)) continue;
      seen.add(real);
      out.push(hostPath);
    }
  }
  return out;
}

/** `<bin> --version`, run unprivileged (--exec-versions only). Garbage, a crash or a hang give "unknown" with the reason. */
export async function probe(tool: Tool, shown: string, real: string, timeoutMs: number): Promise<ToolVersion> {
  const unknown = (reason: string, origin = `${shown} --version (--exec-versions)`): ToolVersion => ({ tool, version: "unknown", reason: `${shown}: ${reason}`, origin });
  try {
    fs.accessSync(real, fs.constants.X_OK);
  } catch {
    return unknown("not executable");
  }
  const run = await runVersionSandboxed(real, timeoutMs);
  const origin = `${shown} --version, run ${run.sandbox} (--exec-versions)`;
  if (run.error) return unknown(run.error, origin);
  const tv = parseToolVersion(tool, run.output);
  tv.origin = origin;
  if (tv.version === "unknown") tv.reason = `${shown}: ${tv.reason ?? "unrecognised output"}${run.code ? ` (exit code ${run.code})` : ""}`;
  return tv;
}

/**
 * The real path of a host path, following symlinks inside the host root: an absolute link
 * target ("/usr/bin/runc") means the host's path, not ours. undefined when missing.
 */
export function resolveUnderRoot(host: Host, hostPath: string, depth = 0): string | undefined {
  if (depth > 16) return undefined;
  const parts = hostPath.split("/").filter((p) => p !== "");
  let cur = "/";
  for (let i = 0; i < parts.length; i++) {
    const next = path.posix.join(cur, parts[i]!);
    let st: fs.Stats;
    try { st = fs.lstatSync(host.path(next)); } catch { return undefined; }
    if (st.isSymbolicLink()) {
      const target = fs.readlinkSync(host.path(next));
      const abs = target.startsWith("/") ? target : path.posix.join(cur, target);
      return resolveUnderRoot(host, path.posix.join(abs, ...parts.slice(i + 1)), depth + 1);
    }
    cur = next;
  }
  return host.path(cur);
}

function isFile(p: string): boolean {
  try { return fs.statSync(p).isFile(); } catch { return false; }
}

function unique(xs: string[]): string[] {
  return [...new Set(xs.map((x) => path.posix.normalize(x)))];
}
