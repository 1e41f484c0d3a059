import {
  CONTAINERD_RELEASES,
  CONTAINERD_RUNC_PINS,
  DOCKER_RUNC_PINS,
  RUNC_BETWEEN_RELEASES,
  RUNC_RELEASES,
} from "./runtime-commits.js";

/** What a runc or containerd commit id (full or abbreviated, >= 7 hex digits) is. */
export interface CommitRelease {
  commit: string;
  /** The release tag at exactly this commit. */
  release?: string;
  /** Not a release: the newest release it contains (ancestry in `repo`). */
  after?: string;
  /** Not a release: the first release that contains it (none for docker/runc fork commits). */
  before?: string;
  repo: string;
  /** runc only, by ancestry: has runc#1350 (kmem on for every container) and runc#2840 (kmem ignored). */
  kmemOn?: boolean;
  kmemIgnored?: boolean;
  source: string;
}

const HEX = /^[0-9a-f]{7,40}$/;

export function isCommitId(s: string): boolean {
  return HEX.test(s);
}

/** undefined when the id is not in the table (or an abbreviation matches more than one commit). */
export function runcCommit(id: string): CommitRelease | undefined {
  const c = id.toLowerCase();
  if (!HEX.test(c)) return undefined;
  const rel = oneCommit(RUNC_RELEASES.filter(([, commit]) => commit.startsWith(c)));
  if (rel)
    return {
      commit: rel[1],
      release: rel[0],
      repo: "opencontainers/runc",
      source: `github.com/opencontainers/runc tag ${rel[0]}`,
    };
  const mid = only(RUNC_BETWEEN_RELEASES.filter(([commit]) => commit.startsWith(c)));
  if (!mid) return undefined;
  const [commit, after, before, repo, kmemOn, kmemIgnored] = mid;
  const out: CommitRelease = {
    commit,
    repo,
    kmemOn,
    kmemIgnored,
    source: `github.com/${repo} commit ${commit.slice(0, 12)} (ancestry)`,
  };
  if (after) out.after = after;
  if (before) out.before = before;
  return out;
}

export function containerdCommit(id: string): CommitRelease | undefined {
  const c = id.toLowerCase();
  if (!HEX.test(c)) return undefined;
  const rel = oneCommit(CONTAINERD_RELEASES.filter(([, commit]) => commit.startsWith(c)));
  return (
    rel && {
      commit: rel[1],
      release: rel[0],
      repo: "containerd/containerd",
      source: `github.com/containerd/containerd tag ${rel[0]}`,
    }
  );
}

/** The runc moby/moby pins at a Docker engine release (what Docker's own builds and docker-runc use). */
export function dockerRuncPin(engine: string): { commit: string; tag: string; source: string } | undefined {
  const want = engine.replace(/^v/, "").replace(/-ce$/, "");
  const pin = DOCKER_RUNC_PINS.find(([tag]) => tag.replace(/^v/, "").replace(/-ce$/, "") === want);
  return pin && { commit: pin[1], tag: pin[0], source: `github.com/moby/moby/blob/${pin[0]}/${pin[2]}` };
}

/** One commit may carry two tags (runc v1.0.0-rc10 was re-tagged v1.0.0-rc90): the first, in version order, names it. */
function oneCommit<T extends readonly [string, string, string]>(xs: T[]): T | undefined {
  return xs.every((x) => x[1] === xs[0]?.[1]) ? xs[0] : undefined;
}

/**
 * The runc containerd pins at a release (vendor.conf up to 1.4, script/setup/runc-version from 1.5):
 * what its release bundles and CI use; containerd.io packages build the runc this file names.
 */
export function containerdRuncPin(version: string): { commit: string; tag: string; source: string } | undefined {
  const want = version.replace(/^v/, "").replace(/[+~].*$/, "");
  const pin = CONTAINERD_RUNC_PINS.find(([tag]) => tag.replace(/^v/, "") === want);
  return pin && { commit: pin[1], tag: pin[0], source: `github.com/containerd/containerd/blob/${pin[0]}/${pin[2]}` };
}

function only<T>(xs: T[]): T | undefined {
  return xs.length === 1 ? xs[0] : undefined;
}
