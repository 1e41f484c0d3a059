/** Who a cgroup path belongs to, read from the path alone (a dead pod can no longer be asked). */
export interface Attribution {
  qos?: "guaranteed" | "burstable" | "besteffort";
  podUid?: string;
  containerId?: string;
  runtime?: "containerd" | "docker" | "crio" | "crio-conmon";
  systemdUnit?: string;
  /** First path segment ("" for the hierarchy root). */
  topLevel: string;
  /** The grouping key an operator reads: a pod, a systemd unit, a container parent or a top-level subtree. */
  workload: string;
}

// Container scopes and directories of the runtimes kubelet and systemd name (cgroupfs: bare id).
const CONTAINER = /^(?:(cri-containerd|docker|crio-conmon|crio)-)?([0-9a-f]{12,64})(?:\.scope)?$/;
const RUNTIMES = {
  "cri-containerd": "containerd",
  docker: "docker",
  crio: "crio",
  "crio-conmon": "crio-conmon",
} as const;
// cgroupfs "pod<uid>", systemd "kubepods-burstable-pod<uid_with_underscores>.slice".
const POD =
  /^(?:[\w-]*-)?pod([0-9a-fA-F]{8}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{12})(?:\.slice)?$/;
const UNIT = /\.(service|scope|socket|mount|swap|timer|path)$/;

/** Attributes a cgroup path (relative to its hierarchy root, with or without a leading "/"). */
export function attribute(path: string): Attribution {
  const segs = path.split("/").filter((s) => s !== "");
  const topLevel = segs[0] ?? "";
  const k = segs.findIndex(isKubepods);
  if (k >= 0) return kubepods(segs, k, topLevel);
  const c = container(segs[segs.length - 1], segs[segs.length - 2]);
  if (c && segs.length > 1) {
    const parent = "/" + segs.slice(0, -1).join("/");
    return { ...c, topLevel, workload: `${c.runtime ?? "container"} containers in ${parent}`, ...unitOf(segs) };
  }
  if (topLevel.endsWith(".slice")) {
    const u = unitOf(segs);
    const end = u.systemdUnit === undefined ? segs.length : segs.indexOf(u.systemdUnit) + 1;
    return { ...u, topLevel, workload: "/" + segs.slice(0, end).join("/") };
  }
  return { topLevel, workload: topLevel === "" ? "/" : `/${topLevel}` };
}

function isKubepods(s: string): boolean {
  return s === "kubepods" || s === "kubepods.slice" || s.endsWith("-kubepods.slice");
}

function kubepods(segs: string[], k: number, topLevel: string): Attribution {
  const a: Attribution = { topLevel, workload: segs.slice(0, k + 1).join("/") };
  let i = k + 1;
  const qos = qosOf(segs[i]);
  if (qos !== undefined) {
    a.qos = qos;
    a.workload = `kubepods ${qos}`;
    i++;
  }
  const pod = POD.exec(segs[i] ?? "");
  if (!pod) return a;
  a.qos ??= "guaranteed"; // Guaranteed pods sit directly under kubepods
  a.podUid = (pod[1] as string).replace(/_/g, "-").toLowerCase();
  a.workload = `pod ${a.podUid} (${a.qos})`;
  const c = container(segs[i + 1]);
  if (c) Object.assign(a, c);
  return a;
}

function qosOf(seg: string | undefined): "burstable" | "besteffort" | undefined {
  if (seg === undefined || POD.test(seg)) return undefined;
  if (/(^|-)burstable(\.slice)?$/.test(seg)) return "burstable";
  if (/(^|-)besteffort(\.slice)?$/.test(seg)) return "besteffort";
  return undefined;
}

function container(seg: string | undefined, parent?: string): Pick<Attribution, "containerId" | "runtime"> | undefined {
  const m = CONTAINER.exec(seg ?? "");
  if (!m) return undefined;
  const out: Pick<Attribution, "containerId" | "runtime"> = { containerId: m[2] as string };
  if (m[1] !== undefined) out.runtime = RUNTIMES[m[1] as keyof typeof RUNTIMES];
  else if (parent === "docker") out.runtime = "docker"; // dockerd's cgroupfs driver: /docker/<id>
  return out;
}

/** The first systemd unit below the slices, e.g. "foo.service" in system.slice/foo.service. */
function unitOf(segs: string[]): Pick<Attribution, "systemdUnit"> {
  const unit = segs.find((s) => UNIT.test(s));
  return unit === undefined ? {} : { systemdUnit: unit };
}
