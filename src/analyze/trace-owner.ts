import type { InstanceOwner } from "../parsers/trace-instance-name.js";

export type OwnerFate =
  | { fate: "dead"; why: string }
  | { fate: "alive" }
  | { fate: "unknown"; why: string };

/**
 * Whether a tracefs instance's maker is proven dead, from who we are and what `/proc/<pid>/stat`
 * says now (`ownerStart`: its start time, or null when no such pid runs). Only proof removes:
 * a pid of another pid namespace cannot be looked up from ours, so that instance is left alone.
 */
export function ownerFate(self: InstanceOwner, owner: InstanceOwner, ownerStart: number | null): OwnerFate {
  // tracefs lives in memory: an instance from another boot cannot be here, but if it is, its maker is gone.
  if (owner.bootId !== self.bootId) return { fate: "dead", why: "made before this boot" };
  if (owner.pidNs === 0 || self.pidNs === 0) {
    return { fate: "unknown", why: "its maker's or our pid namespace is unknown (/proc/1 unreadable)" };
  }
  if (owner.pidNs !== self.pidNs) {
    return { fate: "unknown", why: `made in another pid namespace (${owner.pidNs}, ours is ${self.pidNs})` };
  }
  if (owner.pid === self.pid && owner.startTime === self.startTime) return { fate: "alive" };
  if (ownerStart === null) return { fate: "dead", why: `pid ${owner.pid} no longer runs` };
  if (ownerStart !== owner.startTime) {
    const why = `pid ${owner.pid} now is another process (started at tick ${ownerStart}, not ${owner.startTime})`;
    return { fate: "dead", why };
  }
  return { fate: "alive" };
}
