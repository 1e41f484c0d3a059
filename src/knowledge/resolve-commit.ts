import type { ToolVersion } from "../parsers/runtime-version.js";
import { parseVersion } from "../parsers/version.js";
import {
  containerdCommit,
  containerdRuncPin,
  dockerRuncPin,
  runcCommit,
  type CommitRelease,
} from "./commit-release.js";

/**
 * Fills in what a runc or containerd commit id says (docker info prints only those): the release at
 * that commit, or the newest release it contains. An id not in the table stays "unknown commit".
 */
export function resolveCommits(t: ToolVersion): ToolVersion {
  if (!t.commit || (t.tool !== "runc" && t.tool !== "containerd")) return t;
  const id = /^v?\d.*-g([0-9a-f]{7,40})$/.exec(t.commit)?.[1] ?? t.commit;
  const found = t.tool === "runc" ? runcCommit(id) : containerdCommit(id);
  if (!found) {
    if (t.version !== "unknown" || !/^[0-9a-f]{7,40}$/.test(id)) return t;
    return {
      ...t,
      reason: `unknown ${t.tool} commit ${id}: no ${t.tool} release in cgleak's table is at it, and no known build contains it`,
    };
  }
  const out: ToolVersion = { ...t, fromCommit: note(found) };
  if (t.version !== "unknown") return out;
  const v = parseVersion(found.release ?? `${found.after ?? "0.0.0"}+git.${found.commit.slice(0, 12)}`);
  if (v) {
    out.version = v;
    delete out.reason;
  }
  return out;
}

function note(c: CommitRelease): NonNullable<ToolVersion["fromCommit"]> {
  const out: NonNullable<ToolVersion["fromCommit"]> = { source: c.source };
  if (c.release) out.release = c.release;
  if (c.after) out.after = c.after;
  if (c.kmemOn !== undefined) out.kmemOn = c.kmemOn;
  if (c.kmemIgnored !== undefined) out.kmemIgnored = c.kmemIgnored;
  return out;
}

/**
 * The runc a Docker or containerd release pinned, as a runc version, for when no runc is in sight:
 * moby/moby's pin (Docker's static builds, docker-runc) or containerd's (its release bundles and
 * containerd.io). Marked as inferred: a distribution's runc may differ.
 */
export function inferredRunc(t: ToolVersion): ToolVersion[] {
  if (t.version === "unknown" || (t.tool !== "dockerd" && t.tool !== "containerd")) return [];
  const pin = t.tool === "dockerd" ? dockerRuncPin(t.version.raw) : containerdRuncPin(t.version.raw);
  if (!pin) return [];
  const who = t.tool === "dockerd" ? "Docker" : "containerd";
  const origin = `runc pinned by ${who} ${pin.tag} (${pin.source}; a distribution's runc may differ: give --versions runc=...)`;
  return [resolveCommits({ tool: "runc", version: "unknown", commit: pin.commit, origin })];
}
