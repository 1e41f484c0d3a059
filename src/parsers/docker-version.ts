import type { ToolVersion, Version } from "./runtime-version.js";
import { parseVersion } from "./version.js";

/**
 * Every `docker version` / `docker info` layout people paste:
 * - Docker 1.0-1.7: "Server version: 1.7.1", "Git commit (server): 786b29d";
 * - Docker 1.8-1.13: a "Server:" block with " Version: 1.13.1" directly under it;
 * - Docker 17.06+: "Server: Docker Engine - Community" with Engine, containerd, runc, docker-init blocks,
 *   also flattened onto one line ("runc: Version: 1.0.0-rc10 GitCommit: dc9208a...");
 * - `docker version --format '{{json .}}'` (Server.Components) and `--format '{{.Server.Version}}'` (a bare version);
 * - `docker info`: "Server Version: 19.03.8", "runc version: dc9208a...", "containerd version: 7ad1843...".
 */
export function parseDockerVersion(t: string): ToolVersion | undefined {
  return fromJson(t) ?? fromInfo(t) ?? fromLegacy(t) ?? fromBlocks(t);
}

const ORIGIN = "docker version (server)";

function fromLegacy(t: string): ToolVersion | undefined {
  const m = /^Server version:\s*(\S+)/m.exec(t);
  if (!m) return undefined;
  return tv("dockerd", m[1], /^Git commit \(server\):\s*(\S+)/m.exec(t)?.[1], ORIGIN);
}

function fromBlocks(t: string): ToolVersion | undefined {
  const at = t.search(/(^|\s)Server:/m);
  if (at < 0) return undefined;
  const server = t.slice(at);
  // Split at component headers, whether each sits on its own line or all on one.
  const parts = server.split(/(?:^|\s)(Engine|containerd|runc|docker-init):(?=\s)/);
  const get = (name: string) => {
    const i = parts.indexOf(name);
    return i < 0 ? undefined : fields(parts[i + 1] ?? "");
  };
  const engine = get("Engine") ?? fields(parts[0] ?? "");
  const out = tv("dockerd", engine.version, engine.commit, ORIGIN);
  const embedded = (["containerd", "runc"] as const).flatMap((name) => {
    const f = get(name);
    return f && (f.version || f.commit) ? [tv(name, f.version, f.commit, ORIGIN)] : [];
  });
  if (embedded.length) out.embedded = embedded;
  if (out.version === "unknown") out.reason = "docker version printed no Server Engine version (daemon not reachable?)";
  return out;
}

function fields(chunk: string): { version?: string; commit?: string } {
  const version = /(?:^|\s)Version:\s+(\S+)/.exec(chunk)?.[1];
  const commit = /(?:GitCommit|Git commit):\s+(\S+)/.exec(chunk)?.[1];
  return { ...(version ? { version } : {}), ...(commit ? { commit } : {}) };
}

function fromInfo(t: string): ToolVersion | undefined {
  const engine = /^\s*Server Version:\s*(\S+)/m.exec(t)?.[1];
  const runc = /^\s*runc version:\s*(\S+)/m.exec(t)?.[1];
  const ctr = /^\s*containerd version:\s*(\S+)/m.exec(t)?.[1];
  if (!engine && !runc && !ctr) return undefined;
  const out = tv("dockerd", engine, undefined, "docker info");
  const embedded = [
    ctr && tv("containerd", undefined, ctr, "docker info"),
    runc && tv("runc", undefined, runc, "docker info"),
  ].filter((x): x is ToolVersion => !!x);
  if (embedded.length) out.embedded = embedded;
  if (out.version === "unknown") out.reason = "docker info printed no Server Version";
  return out;
}

interface JsonVersion {
  Server?: {
    Version?: string;
    GitCommit?: string;
    Components?: Array<{ Name?: string; Version?: string; Details?: { GitCommit?: string } }>;
  };
}

function fromJson(t: string): ToolVersion | undefined {
  if (!/^\s*\{/.test(t)) return undefined;
  let j: JsonVersion;
  try {
    j = JSON.parse(t) as JsonVersion;
  } catch {
    return undefined;
  }
  const s = j.Server;
  if (!s) return undefined;
  const out = tv("dockerd", s.Version, s.GitCommit, "docker version --format json");
  const embedded = (s.Components ?? []).flatMap((c) =>
    c.Name === "containerd" || c.Name === "runc"
      ? [tv(c.Name, c.Version, c.Details?.GitCommit, "docker version --format json")]
      : [],
  );
  if (embedded.length) out.embedded = embedded;
  return out;
}

/** A version token (also `git describe`: "v1.1.12-0-g51d5e94"), a commit id, or both. */
function tv(
  tool: ToolVersion["tool"],
  version: string | undefined,
  commit: string | undefined,
  origin: string,
): ToolVersion {
  const v = version ? parseVersion(version) : undefined;
  // docker info prints a bare commit id where a version would be ("runc version: dc9208a3...").
  const c = commit ?? (version && /^[0-9a-f]{7,40}(-dirty)?$/i.test(version) ? version : undefined);
  const out: ToolVersion = { tool, version: v ?? "unknown", origin };
  if (c) out.commit = c.replace(/-dirty$/, "").toLowerCase();
  if (!v && !c && version) out.reason = `unrecognised ${tool} version ${JSON.stringify(version)}`;
  return out;
}
