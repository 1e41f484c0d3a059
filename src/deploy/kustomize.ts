import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as yaml from "js-yaml";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * A real kustomize for the manifest tests: $CGLEAK_KUSTOMIZE, the binary .ci/kustomize.sh caches
 * (Debian trixie's package; bookworm has none), or one on PATH. Null when there is none.
 */
export function findKustomize(): string | null {
  const candidates = [
    process.env.CGLEAK_KUSTOMIZE,
    path.join(process.env.CGLEAK_KUSTOMIZE_CACHE ?? path.join(ROOT, ".cache/kustomize"), "kustomize"),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  const onPath = spawnSync("sh", ["-c", "command -v kustomize"], { encoding: "utf8" });
  return onPath.status === 0 ? onPath.stdout.trim() : null;
}

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `kustomize build DIR`, parsed; throws with kustomize's own message when it fails. */
export function kustomizeBuild(bin: string, dir: string): Obj[] {
  const r = spawnSync(bin, ["build", dir], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`kustomize build ${path.relative(ROOT, dir)} failed: ${r.stderr.trim()}`);
  return yaml.loadAll(r.stdout).filter((d): d is Obj => d !== null && d !== undefined) as Obj[];
}
