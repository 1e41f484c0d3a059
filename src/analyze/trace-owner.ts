import type { InstanceOwner } from "../parsers/trace-instance-name.js";

export type OwnerFate = { fate: "dead"; why: string } | { fate: "alive" } | { fate: "unknown"; why: string };

/** What `/proc/<pid>/stat` says of a pid now. */
export interface ProcNow {
  startTime: number;
  /** Exited, not yet reaped by its parent: it holds its pid but can no longer clean up. */
  zombie: boolean;
}

/**
 * Whether a tracefs instance's maker is proven dead, from who we are and what `/proc/<pid>/stat`
 * says now (`now`: null when no such pid runs). Only proof removes: a pid of another pid
 * namespace cannot be looked up from ours, so that instance is left alone.
 */
export function ownerFate(self: InstanceOwner, owner: InstanceOwner, now: ProcNow | null): OwnerFate {
  // tracefs lives in memory: an instance from another boot cannot be here, but if it is, its maker is gone.
  if (owner.bootId !== self.bootId) return { fate: "dead", why: "made before this boot" };
  if (owner.pidNs === 0 || self.pidNs === 0) {
    return { fate: "unknown", why: "its maker's or our pid namespace is unknown (/proc/1 unreadable)" };
  }
  if (owner.pidNs !== self.pidNs) {
    return { fate: "unknown", why: `made in another pid namespace (${owner.pidNs}, ours is ${self.pidNs})` };
  }
  if (owner.pid === self.pid && owner.startTime === self.startTime) return { fate: "alive" };
  if (now === null) return { fate: "dead", why: `pid ${owner.pid} no longer runs` };
  if (now.startTime !== owner.startTime) {
    const why = `pid ${owner.pid} now is another process (started at tick ${now.startTime}, not ${owner.startTime})`;
    return { fate: "dead", why };
  }
  if (now.zombie) return { fate: "dead", why: `pid ${owner.pid} exited (a zombie its parent has not reaped)` };
  return { fate: "alive" };
}
