export type Tool = "runc" | "containerd" | "dockerd" | "crio" | "kubelet";
export const TOOLS: readonly Tool[] = ["runc", "containerd", "dockerd", "crio", "kubelet"];

/** A semantic-ish version as runtimes print it: `1.0.0-rc92`, `v1.18.3`, `1.1.5+ds1`, `1.6.20~ds1`. */
export interface Version {
  raw: string;
  major: number;
  minor: number;
  patch: number;
  /** Pre-release tag: "rc92", "rc.1", "dev". */
  pre?: string;
  /** The number of an rcN / rc.N pre-release. */
  rc?: number;
  /** Whatever follows `+` or `~` or a vendor dash: "ds1", "dev", "k3s1", "eks-0389ca3". */
  build?: string;
}

export interface ToolVersion {
  tool: Tool;
  version: Version | "unknown";
  /** Why the version is unknown. */
  reason?: string;
  /** Where it came from: "/usr/bin/runc --version", "docker version (server)", "override (--versions)". */
  origin?: string;
  commit?: string;
  /** Other tools' versions printed alongside (`docker version` lists containerd and runc). */
  embedded?: ToolVersion[];
}

/** Parses one version token; undefined when it is not a version. */
export function parseVersion(token: string): Version | undefined {
  const m = /^v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?(?:-((?:rc|alpha|beta|dev)[.]?\d*))?([-+~].*)?$/i.exec(token.trim());
  if (!m) return undefined;
  const v: Version = { raw: token.trim(), major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
  if (m[4]) {
    v.pre = m[4].toLowerCase();
    const n = /^rc\.?(\d+)$/.exec(v.pre);
    if (n) v.rc = Number(n[1]);
  }
  if (m[5]) v.build = m[5].slice(1);
  return v;
}

/** Parses the output of `<tool> --version` (or `docker version`). Never throws. */
export function parseToolVersion(tool: Tool, output: string): ToolVersion {
  const text = typeof output === "string" ? output : "";
  const parsed = PARSERS[tool](text);
  if (parsed.version === "unknown" && !parsed.reason) parsed.reason = `unrecognised ${tool} version output: ${firstLine(text)}`;
  return parsed;
}

const PARSERS: Record<Tool, (t: string) => ToolVersion> = {
  runc: (t) => {
    const m = /^runc version (\S+)(?: (\S+))?/m.exec(t);
    if (m && (m[1] === "spec:" || m[1] === "unknown")) {
      return { tool: "runc", version: "unknown", reason: `runc was built without a version string (${firstLine(t)}): check the package version` };
    }
    return withCommit({ tool: "runc", version: versionOf(m?.[1]) }, /^commit: (\S+)/m.exec(t)?.[1]);
  },
  containerd: (t) => {
    // "containerd github.com/containerd/containerd v1.6.16 31aa43...", "containerd containerd.io 1.6.21 3dce8e...", old "containerd version 0.2.3".
    const m = /^containerd (?:version )?(?:(\S+) )?(v?\d[^\s]*)(?: (\S+))?/m.exec(t);
    return withCommit({ tool: "containerd", version: versionOf(m?.[2]) }, m?.[3]);
  },
  dockerd: (t) => (/^Server:/m.test(t) ? dockerVersion(t) : dockerdVersion(t)),
  crio: (t) => {
    // 1.18+: "Version:       1.18.3" lines; 1.17 and older: "crio version 1.17.0-dev".
    const v = /^\s*Version:\s+(\S+)/m.exec(t)?.[1] ?? /^crio version (\S+)/m.exec(t)?.[1];
    return withCommit({ tool: "crio", version: versionOf(v) }, /^\s*(?:GitCommit:|commit:)\s+"?([0-9a-f]{7,40})/m.exec(t)?.[1]);
  },
  kubelet: (t) => ({ tool: "kubelet", version: versionOf(/^Kubernetes (v\S+)/m.exec(t)?.[1]) }),
};

/** `dockerd --version` / `docker --version`: "Docker version 20.10.21, build 3056208". */
function dockerdVersion(t: string): ToolVersion {
  const m = /^Docker version ([^,\s]+),? (?:build (\S+))?/m.exec(t);
  return withCommit({ tool: "dockerd", version: versionOf(m?.[1]) }, m?.[2]);
}

/** `docker version`: the Server section's Engine, containerd and runc versions. */
function dockerVersion(t: string): ToolVersion {
  const server = t.slice(t.search(/^Server:/m));
  const section = (name: string) => new RegExp(`^ ${name}:\\n(?:  .*\\n)*?  Version:\\s+(\\S+)`, "m").exec(server)?.[1];
  // Docker 1.13 (RHEL 7) has no Engine subsection: " Version:         1.13.1" directly under Server.
  const engine = section("Engine") ?? /^ Version:\s+(\S+)/m.exec(server)?.[1];
  const out: ToolVersion = { tool: "dockerd", version: versionOf(engine), origin: "docker version (server)" };
  const embedded: ToolVersion[] = [];
  const ctr = section("containerd"), runc = section("runc");
  if (ctr) embedded.push({ tool: "containerd", version: versionOf(ctr), origin: "docker version (server)" });
  if (runc) embedded.push({ tool: "runc", version: versionOf(runc), origin: "docker version (server)" });
  if (embedded.length) out.embedded = embedded;
  if (out.version === "unknown") out.reason = "docker version printed no Server Engine version (daemon not reachable?)";
  return out;
}

function versionOf(token: string | undefined): Version | "unknown" {
  return (token && parseVersion(token)) || "unknown";
}

function withCommit(v: ToolVersion, commit: string | undefined): ToolVersion {
  if (commit) v.commit = commit;
  return v;
}

function firstLine(t: string): string {
  const line = t.split("\n").find((l) => l.trim() !== "")?.trim() ?? "(no output)";
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 77)}...` : line);
}
