import type { Host } from "../host/host.js";

/** The boot id; a fixture host without one gets a fixed stand-in so its samples stay one series. */
export function readBootId(host: Host): string {
  return host.readTextIfExists("/proc/sys/kernel/random/boot_id")?.trim() || "unknown";
}
