export type Distro = "upstream" | "rhel" | "ubuntu" | "amzn" | "debian" | "unknown";

/** A kernel release string (`uname -r`) as far as it can be read. Never thrown away: `raw` stays. */
export interface ParsedRelease {
  raw: string;
  /** null when the string does not start with MAJOR.MINOR. */
  major: number | null;
  minor: number | null;
  /** The upstream patch level; null when the distro hides it behind an ABI number (Debian `6.1.0-18`, Ubuntu). */
  patch: number | null;
  distro: Distro;
  /** el7 `862.9.1` -> [862,9,1]; Ubuntu/Debian ABI `112` -> [112]; amzn `139.253` -> [139,253]. */
  distroBuild?: number[];
  /** el7 -> 7, amzn2 -> 2, amzn2023 -> 2023, +deb12 -> 12. */
  distroRelease?: number;
  /** Kernel flavour or vendor tag: "generic", "aws", "amd64", "elrepo", "uek", "fc-v782"... */
  flavor?: string;
  arch?: string;
  /** Why the release could not be placed (major/minor null, distro "unknown"). */
  unknownReason?: string;
  /** The string was repaired or partly ignored; what was assumed. */
  warning?: string;
}

const ARCHES = ["x86_64", "aarch64", "ppc64le", "s390x", "i686", "i386", "armv7hl", "noarch"];
const UBUNTU =
  /^(generic|lowlatency|aws|azure|gcp|gke|gkeop|kvm|oracle|ibm|raspi|virtual|intel-iotg|nvidia|generic-lpae|generic-64k|azure-fde|lowlatency-64k)$/;
const DEBIAN =
  /^(amd64|arm64|686|686-pae|cloud-amd64|cloud-arm64|rt-amd64|rt-arm64|armmp|armmp-lpae|powerpc64le|s390x|marvell|rpi|4kc-malta|5kc-malta|loongson-3|octeon|mips32r2el|mips64r2el)$/;
// The distro's major kernel for each RHEL release: only these are Red Hat's own kernels.
const RHEL_BASE: Record<string, string> = { "6": "2.6", "7": "3.10", "8": "4.18", "9": "5.14", "10": "6.12" };

/** Reads a release string. Never throws: what it cannot place is distro "unknown" with the reason. */
export function parseRelease(input: string): ParsedRelease {
  const raw = typeof input === "string" ? input : String(input);
  const s = raw.trim();
  const unknown = (why: string): ParsedRelease => ({
    raw,
    major: null,
    minor: null,
    patch: null,
    distro: "unknown",
    unknownReason: why,
  });
  if (s === "") return unknown("empty kernel release string");
  const m = /^(\d{1,3})\.(\d{1,3})(?:\.(\d{1,5}))?(.*)$/.exec(s);
  if (!m) return unknown(`kernel release ${JSON.stringify(short(s))} does not start with MAJOR.MINOR`);
  const major = Number(m[1]),
    minor = Number(m[2]);
  const patch = m[3] === undefined ? null : Number(m[3]);
  const base: ParsedRelease = { raw, major, minor, patch, distro: "upstream" };
  return classify(base, m[4] ?? "");
}

function classify(r: ParsedRelease, restIn: string): ParsedRelease {
  let rest = restIn;
  // "3.10.0.862.9.1.el7.x86_64": a '.' where '-' belongs; the .elN suffix still places it.
  if (/^\.\d+(\.\d+)*\.el\d/.test(rest)) {
    rest = "-" + rest.slice(1);
    r.warning = `malformed release: expected '-' after ${r.major}.${r.minor}.${r.patch}; read as ${r.major}.${r.minor}.${r.patch}${rest}`;
  }
  takeArch(r, rest);
  rest = stripArch(rest);
  return rhel(r, rest) ?? amzn(r, rest) ?? abi(r, rest) ?? debianNew(r, rest) ?? other(r, rest);
}

function rhel(r: ParsedRelease, rest: string): ParsedRelease | undefined {
  const m = /^-(\d+(?:\.\d+)*)\.el(\d+)(?:_(\d+))?(uek)?(?:\.(.*))?$/.exec(rest);
  if (!m) return undefined;
  const build = m[1]!.split(".").map(Number);
  const el = Number(m[2]);
  const vendor = m[4] ?? (m[5] && /elrepo/.test(m[5]) ? "elrepo" : undefined);
  if (vendor || RHEL_BASE[String(el)] !== `${r.major}.${r.minor}`) {
    // elrepo kernel-lt/ml, Oracle UEK, CentOS alt kernels: upstream kernels packaged for elN.
    return { ...r, distro: "upstream", distroRelease: el, flavor: vendor ?? `el${el}`, distroBuild: build };
  }
  return { ...r, distro: "rhel", distroRelease: el, distroBuild: build };
}

function amzn(r: ParsedRelease, rest: string): ParsedRelease | undefined {
  const m = /^-(\d+(?:\.\d+)*)\.amzn(\d+)(?:\.|$)/.exec(rest);
  if (!m) return undefined;
  return { ...r, distro: "amzn", distroRelease: Number(m[2]), distroBuild: m[1]!.split(".").map(Number) };
}

/** Ubuntu `4.15.0-112-generic` and old Debian `4.19.0-16-amd64`: the ".0" hides the upstream patch. */
function abi(r: ParsedRelease, rest: string): ParsedRelease | undefined {
  const m = /^-(\d+)(?:\.\d+)*-([a-z0-9-]+?)(\+)?$/.exec(rest);
  if (!m) return raspbian(r, rest);
  const flavor = m[2]!;
  const distro: Distro = UBUNTU.test(flavor) ? "ubuntu" : DEBIAN.test(flavor) ? "debian" : "unknown";
  const build = m[0]
    .slice(1, m[0].length - flavor.length - 1 - (m[3] ? 1 : 0))
    .split(".")
    .map(Number);
  // Ubuntu and Debian always say X.Y.0; a vendor (SUSE "5.14.21-150400.24.46-default") keeps its patch.
  const patch = r.patch === 0 || distro !== "unknown" ? null : r.patch;
  const out: ParsedRelease = { ...r, patch, distro, distroBuild: build, flavor };
  if (distro === "unknown")
    out.warning = joinWarn(
      r.warning,
      `vendor kernel with unrecognised flavour ${JSON.stringify(flavor)}: judged by its base version only`,
    );
  return out;
}

/** Raspberry Pi OS `6.1.0-rpi4-rpi-2712`: Debian packaging, no ABI number. */
function raspbian(r: ParsedRelease, rest: string): ParsedRelease | undefined {
  const m = /^-(rpi[a-z0-9-]*)$/.exec(rest);
  return m ? { ...r, patch: null, distro: "debian", flavor: m[1]! } : undefined;
}

/** Debian since 2024: `6.12.117+deb12-amd64`, `6.12.12+bpo-amd64` keep the real patch level. */
function debianNew(r: ParsedRelease, rest: string): ParsedRelease | undefined {
  const m = /^\+(deb(\d+)|bpo)(?:\.\d+)?-([a-z0-9-]+)$/.exec(rest);
  if (!m) return undefined;
  const out: ParsedRelease = { ...r, distro: "debian", flavor: m[3]! };
  if (m[2]) out.distroRelease = Number(m[2]);
  return out;
}

function other(r: ParsedRelease, rest: string): ParsedRelease {
  const flavor = rest.replace(/^[-+.]/, "");
  const out: ParsedRelease = { ...r };
  if (flavor !== "") out.flavor = flavor;
  if (r.patch === null) out.warning = joinWarn(r.warning, "no patch level in the release string");
  return out;
}

function takeArch(r: ParsedRelease, rest: string): void {
  const m = /\.([a-z0-9_]+)$/.exec(rest);
  if (!m) return;
  if (ARCHES.includes(m[1]!)) r.arch = m[1]!;
  else if (/^(x86|x86_|x86_6|aarch|aarch6|ppc64|s390)$/.test(m[1]!))
    r.warning = joinWarn(r.warning, `truncated architecture ${JSON.stringify(m[1])} ignored`);
}

function stripArch(rest: string): string {
  return rest.replace(/\.(x86_64|aarch64|ppc64le|s390x|i686|i386|armv7hl|noarch|x86_?6?|aarch6?|ppc64|s390)$/, "");
}

function joinWarn(a: string | undefined, b: string): string {
  return a ? `${a}; ${b}` : b;
}

function short(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** "3.10.0-862.9.1.el7" style label for messages. */
export function releaseLabel(r: ParsedRelease): string {
  return r.raw.trim() === "" ? "(empty)" : r.raw.trim();
}
