/**
 * The `podman run` flags that give a container what deploy/kubernetes/daemonset.yaml gives the
 * pod (its hostPath mounts, read-only root, user and groups, capabilities, env and args), read
 * from the manifest itself so the image tests run the shipped DaemonSet, not a copy of it.
 * Only tests and image/ use it (js-yaml is a devDependency).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as yaml from "js-yaml";
import { strategicMerge } from "./merge.js";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const DAEMONSET = path.join(REPO, "deploy/kubernetes/daemonset.yaml");

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The pod spec of the DaemonSet in `file`, with the DaemonSet patches of a kustomize overlay applied. */
export function daemonSetPodSpec(file = DAEMONSET, overlayDir?: string): Obj {
  let ds = loadDocs(file).find((d) => d.kind === "DaemonSet");
  if (!ds) throw new Error(`${file}: no DaemonSet`);
  for (const patch of overlayDir ? overlayPatches(overlayDir) : []) ds = strategicMerge(ds, patch);
  return ds.spec.template.spec as Obj;
}

function loadDocs(file: string): Obj[] {
  return yaml.loadAll(fs.readFileSync(file, "utf8")).filter((d): d is Obj => typeof d === "object" && d !== null);
}

function overlayPatches(dir: string): Obj[] {
  const k = loadDocs(path.join(dir, "kustomization.yaml"))[0] ?? {};
  const files = ((k.patches ?? []) as Obj[]).map((p) => p.path as string).filter(Boolean);
  return files.flatMap((f) => loadDocs(path.join(dir, f))).filter((d) => d.kind === "DaemonSet");
}

export interface RunOptions {
  /** What `fieldRef: spec.nodeName` resolves to (default: this host's name). */
  nodeName?: string;
  /** Where a hostPath of this type comes from on this machine (default: the path itself). */
  hostPath?: (p: string, type: string | undefined) => string;
  /**
   * The node directory behind an emptyDir (kubelet makes one per pod, mode 0777). Without it a
   * tmpfs stands in, but podman 4.3 ignores its tmpfs-mode: a non-root user cannot write there.
   */
  emptyDir?: (volume: string) => string;
}

/** `podman run` flags (before the image) and the container's args (after it); the first container unless named. */
export function podRunFlags(pod: Obj, opts: RunOptions = {}, name?: string): { flags: string[]; args: string[] } {
  const c = (pod.containers as Obj[]).find((x) => name === undefined || x.name === name);
  if (c === undefined) throw new Error(`no container ${name} in the pod`);
  const flags = [...securityFlags(pod, c), ...mountFlags(pod, c, opts), ...envFlags(c, opts)];
  if (pod.hostPID) flags.push("--pid=host");
  if (c.command) flags.push(`--entrypoint=${JSON.stringify(c.command)}`);
  return { flags, args: (c.args ?? []) as string[] };
}

function securityFlags(pod: Obj, c: Obj): string[] {
  const sc: Obj = { ...pod.securityContext, ...c.securityContext };
  const flags: string[] = [];
  if (sc.runAsUser !== undefined)
    flags.push(`--user=${sc.runAsUser}${sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : ""}`);
  for (const g of (pod.securityContext?.supplementalGroups ?? []) as number[]) flags.push(`--group-add=${g}`);
  // Kubernetes adds no tmpfs to a read-only root, so neither does this run.
  if (sc.readOnlyRootFilesystem) flags.push("--read-only", "--read-only-tmpfs=false");
  if (sc.allowPrivilegeEscalation === false) flags.push("--security-opt=no-new-privileges");
  if (sc.privileged) flags.push("--privileged");
  for (const cap of (sc.capabilities?.drop ?? []) as string[]) flags.push(`--cap-drop=${cap}`);
  for (const cap of (sc.capabilities?.add ?? []) as string[]) flags.push(`--cap-add=${cap}`);
  return flags;
}

const PROPAGATION: Record<string, string> = { HostToContainer: ",rslave", Bidirectional: ",rshared" };

function mountFlags(pod: Obj, c: Obj, opts: RunOptions): string[] {
  const volumes = new Map(((pod.volumes ?? []) as Obj[]).map((v) => [v.name as string, v]));
  return ((c.volumeMounts ?? []) as Obj[]).map((m) => {
    const v = volumes.get(m.name);
    if (v?.hostPath) {
      const src = (opts.hostPath ?? ((p: string) => p))(v.hostPath.path, v.hostPath.type);
      return `--volume=${src}:${m.mountPath}:${m.readOnly ? "ro" : "rw"}${PROPAGATION[m.mountPropagation] ?? ""}`;
    }
    if (v?.emptyDir && opts.emptyDir) return `--volume=${opts.emptyDir(m.name)}:${m.mountPath}:rw`;
    if (v?.emptyDir) return `--mount=type=tmpfs,destination=${m.mountPath},tmpfs-mode=1777`;
    throw new Error(`volume ${m.name}: only hostPath and emptyDir have a podman equivalent here`);
  });
}

function envFlags(c: Obj, opts: RunOptions): string[] {
  return ((c.env ?? []) as Obj[]).map((e) => {
    if (e.value !== undefined) return `--env=${e.name}=${e.value}`;
    if (e.valueFrom?.fieldRef?.fieldPath === "spec.nodeName")
      return `--env=${e.name}=${opts.nodeName ?? os.hostname()}`;
    throw new Error(`env ${e.name}: only value and fieldRef spec.nodeName have an equivalent here`);
  });
}

/** The remediation overlay's directory (kustomize overlays live beside the base, never inside it). */
export function remediationOverlay(): string {
  const dirs = ["deploy/overlays/remediation", "deploy/kubernetes/overlays/remediation"].map((d) => path.join(REPO, d));
  const dir = dirs.find((d) => fs.existsSync(path.join(d, "kustomization.yaml")));
  if (!dir) throw new Error(`no remediation overlay in ${dirs.join(" or ")}`);
  return dir;
}
