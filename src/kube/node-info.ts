import * as os from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseToolVersion, type Tool, type ToolVersion } from "../parsers/runtime-version.js";

/** The part of a Node's status.nodeInfo that names versions (k8s.io/api core/v1 NodeSystemInfo). */
export interface NodeInfoLike {
  kubeletVersion?: string;
  containerRuntimeVersion?: string;
}

const RUNTIME_SCHEMES: Record<string, Tool> = { containerd: "containerd", docker: "dockerd", "cri-o": "crio" };

/** kubeletVersion "v1.27.4" and containerRuntimeVersion "containerd://1.6.8" (or docker://, cri-o://) as versions. */
export function versionsFromNodeInfo(info: NodeInfoLike, node: string): ToolVersion[] {
  const origin = (field: string) => `Node ${node} status.nodeInfo.${field} (Kubernetes API)`;
  const out: ToolVersion[] = [];
  if (info.kubeletVersion)
    out.push({ ...parseToolVersion("kubelet", info.kubeletVersion), origin: origin("kubeletVersion") });
  const m = /^([a-z-]+):\/\/(\S+)$/.exec(info.containerRuntimeVersion ?? "");
  const tool = m ? RUNTIME_SCHEMES[m[1]!] : undefined;
  if (m && tool)
    out.push({
      ...parseToolVersion(tool, tool === "containerd" ? `containerd://${m[2]}` : m[2]!),
      origin: origin("containerRuntimeVersion"),
    });
  return out.filter((v) => v.version !== "unknown");
}

/** This node's name: NODE_NAME (the downward API in the DaemonSet), else the host name, kubelet's default. */
export function thisNodeName(env: NodeJS.ProcessEnv = process.env): string {
  return env.NODE_NAME?.trim() || os.hostname();
}

/** Reads the node object once (get nodes: the base RBAC already grants it for the node condition). */
export async function readNodeVersions(node: string, config?: KubeConfig): Promise<ToolVersion[]> {
  const k8s = await import("@kubernetes/client-node");
  const kc = config ?? new k8s.KubeConfig();
  if (config === undefined) kc.loadFromDefault();
  const n = await kc.makeApiClient(k8s.CoreV1Api).readNode({ name: node });
  return versionsFromNodeInfo(n.status?.nodeInfo ?? {}, node);
}
