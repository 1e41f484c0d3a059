import * as fs from "node:fs";
import type { Host } from "../host/host.js";

/** Container runtimes whose presence means this is a working node, not a test box (comm names). */
export const RUNTIME_COMMS = ["kubelet", "containerd", "dockerd", "crio", "cri-o"];

/** The runtime processes running on the host, as "comm (pid N)". Reads /proc/<pid>/comm under the Host. */
export function runtimeProcesses(host: Host): string[] {
  let pids: string[];
  try {
    pids = fs.readdirSync(host.path("/proc")).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const pid of pids) {
    const comm = host.readTextIfExists(`/proc/${pid}/comm`)?.trim();
    if (comm !== undefined && RUNTIME_COMMS.includes(comm)) found.push(`${comm} (pid ${pid})`);
  }
  return found;
}

/** Refuses, with the reason, to change a host that runs a container runtime unless --yes was given. */
export function refuseOnWorkingNode(host: Host, yes: boolean | undefined, what: string): string | undefined {
  if (yes) return undefined;
  const found = runtimeProcesses(host);
  if (found.length === 0) return undefined;
  return `refusing to ${what} on a node that runs ${found.join(", ")}; pass --yes to do it anyway`;
}
