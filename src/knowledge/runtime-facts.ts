import { parseToolVersion, TOOLS, type Tool, type ToolVersion, type Version } from "../parsers/runtime-version.js";
import { inferredRunc, resolveCommits } from "./resolve-commit.js";

/** Does this runtime switch kmem accounting on for the cgroups it creates? */
export interface RuntimeVerdict {
  tool: "runc" | "kubelet";
  version: string;
  enablesKmem: boolean | "unknown";
  /** A build tag (nokmem) can turn it off and cannot be seen in a version string: confirm with the live memcgs. */
  unlessNokmem: boolean;
  reason: string;
  source: string;
  fix?: string;
  /** Where the version came from: "runc --version", "docker version (server)", "override". */
  from: string;
}

/** Versions compare as [major, minor, patch, rc]; a final release ranks above all its rcs. */
type Key = [number, number, number, number];
const FINAL = 1e6;
const key = (v: Version): Key => [v.major, v.minor, v.patch, v.rc ?? (v.pre ? -1 : FINAL)];

interface RuntimeRow {
  tool: "runc" | "kubelet";
  from?: Key;
  before?: Key;
  enablesKmem: boolean | "unknown";
  unlessNokmem: boolean;
  reason: string;
  source: string;
  fix?: string;
}

const RUNC_FIX = 'upgrade runc to 1.0.0-rc94 or later, or build it with BUILDTAGS="seccomp nokmem"';
const KUBELET_FIX = "upgrade kubelet to 1.21.2 or later (1.22+), or build it with GOFLAGS=-tags=nokmem";

/** First matching row wins. */
export const RUNTIME_FACTS: RuntimeRow[] = [
  {
    tool: "runc",
    before: [1, 0, 0, 3],
    enablesKmem: false,
    unlessNokmem: false,
    reason: "runc before 1.0.0-rc3 does not turn kmem accounting on by itself",
    source: "runc#1350 (commit fe898e7, first in v1.0.0-rc3)",
  },
  {
    tool: "runc",
    before: [1, 0, 0, 6],
    enablesKmem: true,
    unlessNokmem: false,
    reason:
      "runc 1.0.0-rc3 to rc5 turns kmem accounting on for every container cgroup; the nokmem build tag does not exist yet",
    source: "runc#1350; runc#1921 (nokmem tag, v1.0.0-rc6)",
    fix: RUNC_FIX,
  },
  {
    tool: "runc",
    before: [1, 0, 0, 94],
    enablesKmem: true,
    unlessNokmem: true,
    reason:
      "runc 1.0.0-rc6 to rc93 turns kmem accounting on for every container cgroup unless built with the nokmem tag",
    source: "runc#1350; runc#1921 (commit 6a2c155); runc#2840 (v1.0.0-rc94)",
    fix: RUNC_FIX,
  },
  {
    tool: "runc",
    enablesKmem: false,
    unlessNokmem: false,
    reason: "runc 1.0.0-rc94 and later ignore all kmem settings",
    source: "runc#2840 (v1.0.0-rc94, April 2021)",
  },
  {
    tool: "kubelet",
    before: [1, 8, 0, FINAL],
    enablesKmem: false,
    unlessNokmem: false,
    reason: "kubelet before 1.8 does not turn kmem accounting on",
    source: "k8s#61937 (on by default since 1.8/1.9)",
  },
  {
    tool: "kubelet",
    before: [1, 21, 2, FINAL],
    enablesKmem: true,
    unlessNokmem: true,
    reason:
      "kubelet 1.8 to 1.21.1 turns kmem accounting on for pod cgroups through its vendored runc, unless built with -tags=nokmem (possible from 1.14)",
    source: "k8s#61937; k8s#96701; pingcap/blog#114",
    fix: KUBELET_FIX,
  },
  {
    tool: "kubelet",
    enablesKmem: false,
    unlessNokmem: false,
    reason: "kubelet 1.21.2 and later vendor runc rc95, which leaves kmem alone",
    source: "k8s#102196 (1.21.2 cherry-pick); CHANGELOG-1.22 (runc rc93 -> rc95)",
  },
];

export function classifyRuntimes(versions: ToolVersion[]): RuntimeVerdict[] {
  const all = versions.flatMap((tv) => [tv, ...(tv.embedded ?? [])]).map(resolveCommits);
  // With no runc of its own in sight, containerd's or else the Docker engine's version says which runc it pinned
  // (Docker 18.09+ packages take runc from containerd.io); one is enough.
  const pinners = [...all.filter((t) => t.tool === "containerd"), ...all.filter((t) => t.tool === "dockerd")];
  const runcs = all.some((t) => t.tool === "runc") ? [] : pinners.flatMap(inferredRunc).slice(0, 1);
  return [...all, ...runcs].flatMap((t) =>
    t.tool === "runc" || t.tool === "kubelet" ? [classifyOne(t.tool, t, t.origin ?? `${t.tool} --version`)] : [],
  );
}

function classifyOne(tool: "runc" | "kubelet", t: ToolVersion, source: string): RuntimeVerdict {
  const v = t.version;
  if (v === "unknown") {
    return {
      tool,
      version: "unknown",
      enablesKmem: "unknown",
      unlessNokmem: false,
      reason: t.reason ?? `${tool} version unknown`,
      source: "runtime-version.ts",
      from: source,
    };
  }
  const byCommit = tool === "runc" ? fromAncestry(t, v, source) : undefined;
  if (byCommit) return byCommit;
  // A development build after rc93 may or may not contain runc#2840 (merged before rc94).
  if (tool === "runc" && v.rc === 93 && v.build !== undefined) {
    return {
      tool,
      version: v.raw,
      enablesKmem: "unknown",
      unlessNokmem: true,
      reason: `runc ${v.raw} is a development build between rc93 and rc94: whether it has runc#2840 (ignore kmem) cannot be told from the version`,
      source: "runc#2840",
      fix: RUNC_FIX,
      from: source,
    };
  }
  const k = key(v);
  const row = RUNTIME_FACTS.find(
    (r) => r.tool === tool && (!r.before || cmp(k, r.before) < 0) && (!r.from || cmp(k, r.from) >= 0),
  )!;
  const verdict: RuntimeVerdict = {
    tool,
    version: v.raw,
    enablesKmem: row.enablesKmem,
    unlessNokmem: row.unlessNokmem,
    reason: `${tool} ${v.raw}: ${row.reason}`,
    source: row.source,
    from: source,
  };
  if (row.fix) verdict.fix = row.fix;
  return verdict;
}

/** A runc commit in the table: whether it has runc#1350 and runc#2840 is known by ancestry, whatever its version says. */
function fromAncestry(t: ToolVersion, v: Version, from: string): RuntimeVerdict | undefined {
  const c = t.fromCommit;
  if (!c || c.release || c.kmemOn === undefined) return undefined;
  const on = c.kmemOn && !c.kmemIgnored;
  const what = `runc commit ${t.commit?.slice(0, 12)} (after ${c.after ?? "no release"}, ${c.source})`;
  const reason = on
    ? `${what} has runc#1350 (kmem accounting on for every container cgroup) and not runc#2840`
    : `${what} ${c.kmemIgnored ? "has runc#2840: kmem settings are ignored" : "predates runc#1350: kmem accounting is not turned on"}`;
  const verdict: RuntimeVerdict = {
    tool: "runc",
    version: v.raw,
    enablesKmem: on,
    unlessNokmem: on && cmp(key(v), [1, 0, 0, 6]) >= 0,
    reason,
    source: "runc#1350 (fe898e7); runc#2840 (2d38476); " + c.source,
    from,
  };
  if (on) verdict.fix = RUNC_FIX;
  return verdict;
}

function cmp(a: Key, b: Key): number {
  for (let i = 0; i < 4; i++) if (a[i]! !== b[i]!) return Math.sign(a[i]! - b[i]!);
  return 0;
}

/**
 * Parses `--versions runc=1.0.0-rc92,kubelet=1.18.3`, in any form the tools print or people paste:
 * `runc=version 1.0.0-rc10+dev`, `runc=dc9208a3303f` (a commit), `containerd=containerd://1.4.3`,
 * `kubelet=Kubernetes 1.9.0`, `docker=19.03.8`. Throws an Error with a one-line message naming the bad
 * item. Aliases: docker -> dockerd, cri-o -> crio.
 */
export function parseVersionOverrides(text: string): ToolVersion[] {
  const out: ToolVersion[] = [];
  for (const item of text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")) {
    const eq = item.indexOf("=");
    if (eq < 1) throw new Error(`--versions: expected TOOL=VERSION, got ${JSON.stringify(item)}`);
    const name = item.slice(0, eq).trim().toLowerCase();
    const tool = ({ docker: "dockerd", "cri-o": "crio" } as Record<string, Tool>)[name] ?? (name as Tool);
    if (!TOOLS.includes(tool))
      throw new Error(`--versions: unknown tool ${JSON.stringify(name)} (known: ${TOOLS.join(", ")})`);
    const tv = parseToolVersion(tool, item.slice(eq + 1).trim());
    if (tv.version === "unknown" && !tv.commit)
      throw new Error(
        `--versions: ${JSON.stringify(item.slice(eq + 1))} is not a version for ${tool} (e.g. 1.0.0-rc92, v1.18.3, a commit id)`,
      );
    delete tv.reason;
    out.push(resolveCommits({ ...tv, origin: "override (--versions)" }));
  }
  if (out.length === 0) throw new Error("--versions: expected TOOL=VERSION[,TOOL=VERSION...], got nothing");
  return out;
}
