import { parseDockerVersion } from "./docker-version.js";
import { parseVersion } from "./version.js";

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
  /** What the commit id says, from the table of released commits (src/knowledge/commit-release.ts). */
  fromCommit?: { release?: string; after?: string; kmemOn?: boolean; kmemIgnored?: boolean; source: string };
}

/** Parses the output of `<tool> --version` (or `docker version`). Never throws. */
export function parseToolVersion(tool: Tool, output: string): ToolVersion {
  const text = typeof output === "string" ? output : "";
  const parsed = PARSERS[tool](text);
  if (parsed.version === "unknown" && !parsed.reason)
    parsed.reason = `unrecognised ${tool} version output: ${firstLine(text)}`;
  return parsed;
}

const PARSERS: Record<Tool, (t: string) => ToolVersion> = {
  runc: (t) => {
    // "runc version 1.0.0-rc10", pasted as "runc=version 1.0.0-rc10+dev", or a bare version or commit id.
    const m = /^(?:runc )?version:? (\S+)(?: (\S+))?/im.exec(t);
    const commit = /^commit: (\S+)/m.exec(t)?.[1] ?? bareCommit(t);
    if (m && (m[1] === "spec:" || m[1] === "unknown") && !commit) {
      return {
        tool: "runc",
        version: "unknown",
        reason: `runc was built without a version string (${firstLine(t)}): check the package version`,
      };
    }
    return withCommit({ tool: "runc", version: versionOf(m?.[1] ?? bare(t)) }, commit && commit.replace(/-dirty$/, ""));
  },
  containerd: (t) => {
    // "containerd github.com/containerd/containerd v1.6.16 31aa43...", "containerd containerd.io 1.6.21 3dce8e...",
    // old "containerd version 0.2.3", a node's containerRuntimeVersion "containerd://1.4.3", or a bare version.
    const uri = /containerd:\/\/(\S+)/.exec(t)?.[1];
    const m = /^containerd (?:version )?(?:(\S+) )?(v?\d[^\s]*)(?: (\S+))?/m.exec(t);
    return withCommit({ tool: "containerd", version: versionOf(uri ?? m?.[2] ?? bare(t)) }, m?.[3] ?? bareCommit(t));
  },
  dockerd: (t) => parseDockerVersion(t) ?? dockerdVersion(t),
  crio: (t) => {
    // 1.18+: "Version:       1.18.3" lines; 1.17 and older: "crio version 1.17.0-dev"; a node's "cri-o://1.20.0".
    const v =
      /^\s*Version:\s+(\S+)/m.exec(t)?.[1] ??
      /^crio version (\S+)/m.exec(t)?.[1] ??
      /cri-o:\/\/(\S+)/.exec(t)?.[1] ??
      bare(t);
    return withCommit(
      { tool: "crio", version: versionOf(v) },
      /^\s*(?:GitCommit:|commit:)\s+"?([0-9a-f]{7,40})/m.exec(t)?.[1],
    );
  },
  // "Kubernetes v1.18.3", "Kubernetes 1.9.0", "kubelet version v1.21.2", kubectl describe node's "Kubelet Version: v1.21.2".
  kubelet: (t) => ({
    tool: "kubelet",
    version: versionOf(
      /^\s*(?:Kubernetes|kubelet(?: version)?:?|Kubelet Version:)\s+(v?\d\S*)/im.exec(t)?.[1] ?? bare(t),
    ),
  }),
};

/** The whole text is one version token (`docker version --format '{{.Server.Version}}'`, a paste). */
function bare(t: string): string | undefined {
  const s = t.trim();
  return /^v?\d+\.\d+\S*$/.test(s) ? s : undefined;
}

function bareCommit(t: string): string | undefined {
  const s = t.trim().toLowerCase();
  return /^[0-9a-f]{7,40}$/.test(s) ? s : undefined;
}

/** `dockerd --version` / `docker --version`: "Docker version 20.10.21, build 3056208". */
function dockerdVersion(t: string): ToolVersion {
  const m = /^Docker version ([^,\s]+),? (?:build (\S+))?/m.exec(t);
  return withCommit({ tool: "dockerd", version: versionOf(m?.[1] ?? bare(t)) }, m?.[2]);
}

function versionOf(token: string | undefined): Version | "unknown" {
  return (token && parseVersion(token)) || "unknown";
}

function withCommit(v: ToolVersion, commit: string | undefined): ToolVersion {
  if (commit) v.commit = commit;
  return v;
}

function firstLine(t: string): string {
  const line =
    t
      .split("\n")
      .find((l) => l.trim() !== "")
      ?.trim() ?? "(no output)";
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 77)}...` : line);
}
