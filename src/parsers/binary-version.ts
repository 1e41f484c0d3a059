import type { GoBuildInfo } from "./go-buildinfo.js";
import type { Tool, Version } from "./runtime-version.js";
import { parseVersion } from "./version.js";

/** The -X variables each tool's build sets to its version (Makefiles of runc, containerd, moby, cri-o, kubernetes). */
const LDFLAG_VARS: Record<Tool, RegExp> = {
  runc: /-X\s*'?main\.version=([^\s']+)/,
  containerd: /-X\s*'?github\.com\/containerd\/containerd(?:\/v2)?(?:\/version)?\.Version=([^\s']+)/,
  dockerd: /-X\s*'?github\.com\/docker\/docker\/dockerversion\.Version=([^\s']+)/,
  crio: /-X\s*'?github\.com\/cri-o\/cri-o\/internal\/(?:pkg\/)?version\.version=([^\s']+)/,
  kubelet:
    /-X\s*'?k8s\.io\/(?:kubernetes\/vendor\/k8s\.io\/)?(?:component-base|client-go\/pkg|kubernetes\/pkg)\/version\.gitVersion=([^\s']+)/,
};
const MAIN_MODULES: Record<Tool, RegExp> = {
  runc: /^github\.com\/opencontainers\/runc$/,
  containerd: /^github\.com\/containerd\/containerd(\/v\d+)?$/,
  dockerd: /^github\.com\/docker\/docker$/,
  crio: /^github\.com\/cri-o\/cri-o$/,
  kubelet: /^k8s\.io\/kubernetes$/,
};

/** The tool's version from its Go build info: the -X version variable in -ldflags, else a released main module. */
export function versionFromBuildInfo(tool: Tool, bi: GoBuildInfo): { version: Version; how: string } | undefined {
  const x = LDFLAG_VARS[tool].exec(bi.settings["-ldflags"] ?? "")?.[1];
  const fromX = x ? parseVersion(x) : undefined;
  if (fromX) return { version: fromX, how: "-ldflags in its Go build info" };
  const main =
    bi.main && MAIN_MODULES[tool].test(bi.main.path) && bi.main.version !== "(devel)"
      ? parseVersion(bi.main.version)
      : undefined;
  return main
    ? { version: main, how: `main module ${bi.main!.path} ${bi.main!.version} in its Go build info` }
    : undefined;
}

/** NUL-padded version strings that -X main.version (runc) and -X ...version.gitVersion (kubelet) leave in the data. */
const PADDED: Partial<Record<Tool, RegExp>> = {
  runc: /\0(1\.\d{1,2}\.\d{1,3}(?:-rc\.?\d{1,3})?(?:[+~][0-9A-Za-z.+~-]{1,40})?)\0/g,
  kubelet: /\0(v1\.\d{1,2}\.\d{1,3}(?:-(?:alpha|beta|rc)\.\d+)?(?:[-+][0-9A-Za-z.+~-]{1,40})?)\0/g,
};

/**
 * A version string set at link time sits NUL-padded in the binary's data (Debian's runc 1.1.5+ds1
 * next to "go1.19.8"). Candidates that share one release are that release; the shortest names it
 * (runc's commit is often "1.1.5+ds1-1+deb12u1"). Runtime-spec versions ("1.0.2-dev") do not match.
 */
export function versionFromStrings(tool: Tool, data: string): Version | { ambiguous: string[] } | undefined {
  const rx = PADDED[tool];
  if (!rx) return undefined;
  const seen = new Set<string>();
  for (const m of data.matchAll(rx)) seen.add(m[1]!);
  const all = [...seen].map((s) => parseVersion(s)).filter((v): v is Version => v !== undefined);
  const bases = new Set(all.map((v) => `${v.major}.${v.minor}.${v.patch}-${v.pre ?? ""}`));
  if (bases.size === 0) return undefined;
  if (bases.size > 1) return { ambiguous: all.map((v) => v.raw).slice(0, 6) };
  return all.sort((a, b) => a.raw.length - b.raw.length)[0];
}
