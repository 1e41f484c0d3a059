import type { Host } from "../host/host.js";
import { parsePressure } from "../parsers/pressure.js";
import type { ReapPolicy } from "./reap-policy.js";

export interface PressureNow {
  memory: number | null;
  io: number | null;
}

/** `some avg10` of memory and io, null where the kernel has no PSI (before 4.20, or psi=0). */
export function readPressure(host: Host): PressureNow {
  const one = (name: string): number | null => {
    const file = `/proc/pressure/${name}`;
    let text: string | undefined;
    try {
      text = host.readTextIfExists(file);
    } catch {
      return null; // EOPNOTSUPP when the kernel was booted with psi=0
    }
    return text === undefined ? null : parsePressure(text, file).some.avg10;
  };
  return { memory: one("memory"), io: one("io") };
}

/** Why the reaper must not reclaim now, or null: reclaim adds to pressure the node already has. */
export function pressureVeto(p: PressureNow, policy: ReapPolicy): string | null {
  if (p.memory !== null && p.memory > policy.psiMemory)
    return `memory pressure: /proc/pressure/memory some avg10=${p.memory} > ${policy.psiMemory}`;
  if (p.io !== null && p.io > policy.psiIo)
    return `I/O pressure: /proc/pressure/io some avg10=${p.io} > ${policy.psiIo}`;
  return null;
}

/** What frees pins that reclaim cannot, for the report (not retried). */
export const UNRECLAIMABLE = {
  shmem:
    "tmpfs/shmem pages: with no swap reclaim cannot free them (and with swap they become swap entries, which pin the memcg too); deleting the files on the tmpfs, or unmounting it, frees them",
  root: "dying memcgs directly below the hierarchy root: the root has no limit, force_empty or memory.reclaim to target them; only `cgleak reclaim --drop-caches` (global) frees them",
  kmem: "kmem-accounted memcgs on this kernel (3.10 and its RHEL 7 line) are never freed: only a reboot frees them, so drain and reboot the node (`cgleak explain` says why and how to stop it recurring)",
} as const;
