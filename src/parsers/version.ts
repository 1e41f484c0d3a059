import type { Version } from "./runtime-version.js";

/** Parses one version token; undefined when it is not a version. */
export function parseVersion(token: string): Version | undefined {
  const m = /^v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?(?:-((?:rc|alpha|beta|dev)[.]?\d*))?([-+~].*)?$/i.exec(
    token.trim(),
  );
  if (!m) return undefined;
  const v: Version = { raw: token.trim(), major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
  if (m[4]) {
    v.pre = m[4].toLowerCase();
    const n = /^rc\.?(\d+)$/.exec(v.pre);
    if (n) v.rc = Number(n[1]);
  }
  // `git describe` of a release tag itself ("v1.1.12-0-g51d5e94") is that release.
  if (m[5] && !/^-0-g[0-9a-f]{7,40}$/.test(m[5])) v.build = m[5].slice(1);
  return v;
}
