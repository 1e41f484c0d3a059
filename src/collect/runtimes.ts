import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import type { Host } from "../host/host.js";
import { parseToolVersion, TOOLS, type Tool, type ToolVersion } from "../parsers/runtime-version.js";

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
  /** Per binary; a hang is killed (with its process group) after this. Default 2000 ms. */
  timeoutMs?: number;
  /** Extra PATH-style directory list to search first (host paths). */
  pathEnv?: string;
  /** `--versions` overrides: these tools are not probed. */
  overrides?: ToolVersion[];
}

export interface RuntimesReport {
  versions: ToolVersion[];
  /** Tools with no binary under the host root (not installed, or elsewhere). */
  missing: Tool[];
}

/** Finds runc, containerd, dockerd, crio and kubelet under the host root and asks their versions. */
export async function collectRuntimes(host: Host, opts: RuntimesOptions = {}): Promise<RuntimesReport> {
  const overridden = new Set((opts.overrides ?? []).map((o) => o.tool));
  const dirs = unique([...(opts.pathEnv ?? "").split(":").filter((d) => d.startsWith("/")), ...USUAL_DIRS]);
  const found = TOOLS.filter((t) => !overridden.has(t)).map((t) => ({ tool: t, paths: findBinaries(host, t, dirs) }));
  const probes = found.flatMap(({ tool, paths }) => paths.map((p) => probe(host, tool, p, opts.timeoutMs ?? 2000)));
  const versions = [...(opts.overrides ?? []), ...(await Promise.all(probes))];
  return { versions, missing: found.filter((f) => f.paths.length === 0).map((f) => f.tool) };
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

/** Runs `<bin> --version`. Garbage, a non-executable file, a crash or a hang give "unknown" with the reason. */
export async function probe(host: Host, tool: Tool, hostPath: string, timeoutMs: number): Promise<ToolVersion> {
  const origin = `${hostPath} --version`;
  const real = resolveUnderRoot(host, hostPath);
  const unknown = (reason: string): ToolVersion => ({ tool, version: "unknown", reason: `${hostPath}: ${reason}`, origin });
  if (!real) return unknown("vanished");
  try {
    fs.accessSync(real, fs.constants.X_OK);
  } catch {
    return unknown("not executable");
  }
  const run = await runVersion(real, timeoutMs);
  if (run.error) return unknown(run.error);
  const tv = parseToolVersion(tool, run.output);
  tv.origin = origin;
  if (tv.version === "unknown") tv.reason = `${hostPath}: ${tv.reason ?? "unrecognised output"}${run.code ? ` (exit code ${run.code})` : ""}`;
  return tv;
}

const MAX_OUTPUT = 64 * 1024;

interface Run { output: string; code: number | null; error?: string }

function runVersion(file: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    let output = "";
    let done = false;
    const finish = (r: Run) => { if (!done) { done = true; clearTimeout(timer); resolve(r); } };
    // Own process group, so a hung shell script and its children are all killed by our child's id.
    const child = spawn(file, ["--version"], { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
    const kill = () => { try { process.kill(-child.pid!, "SIGKILL"); } catch { child.kill("SIGKILL"); } };
    const timer = setTimeout(() => { kill(); finish({ output, code: null, error: `no answer to --version within ${timeoutMs} ms (killed)` }); }, timeoutMs);
    const take = (b: Buffer) => {
      output += b.toString("utf8");
      if (output.length > MAX_OUTPUT) { kill(); finish({ output, code: null, error: `more than ${MAX_OUTPUT} bytes from --version (killed)` }); }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (e) => finish({ output, code: null, error: `cannot run: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
    child.on("close", (code) => finish({ output, code }));
  });
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
