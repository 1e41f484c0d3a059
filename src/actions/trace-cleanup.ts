import type { Host } from "../host/host.js";
import { listInstances, removeInstance, unmountPrivate } from "../host/tracefs-mount.js";
import { privateMounts } from "../collect/tracefs.js";
import { processNow } from "../collect/trace-owner.js";
import { parseInstanceName, type InstanceOwner } from "../parsers/trace-instance-name.js";
import { ownerFate, type OwnerFate } from "../analyze/trace-owner.js";

type Log = (line: string) => void;

/** Older cgleak versions named instances `cgleak-<pid>-<8 hex>`: no start time, no boot, no namespace. */
const LEGACY: OwnerFate = {
  fate: "unknown",
  why: "an older cgleak named it without boot id and start time (rmdir it under tracefs instances/ if none runs)",
};

/**
 * Removes what cgleaks of `prefix` proven dead left: their tracefs instances (a SIGKILLed tracer
 * cannot remove its own, and a left instance keeps its ring buffers and keeps tracing) and their
 * private tracefs mounts. One line each; what it cannot prove dead it leaves, saying so. Never throws.
 */
export function removeDeadTracers(host: Host, base: string, prefix: string, self: InstanceOwner, log: Log): void {
  let names: string[] = [];
  try {
    names = listInstances(base);
  } catch (err) {
    log(`cannot list tracefs instances in ${base}: ${(err as Error).message}`);
  }
  for (const name of names) {
    settle(host, prefix, name, self, `tracefs instance ${name}`, log, () => removeInstance(base, name));
  }
  let mounts: ReturnType<typeof privateMounts> = [];
  try {
    mounts = privateMounts(host);
  } catch (err) {
    log(`cannot list private tracefs mounts: ${(err as Error).message}`);
  }
  for (const m of mounts) {
    const what = `tracefs mount ${m.mountPoint}`;
    settle(host, prefix, m.instanceName, self, what, log, () => {
      if (!unmountPrivate(m.mountPoint)) throw new Error("umount failed, lazily too");
    });
  }
}

/** Removes one thing named `name` when its maker is proven dead; says why it did or did not. */
function settle(
  host: Host,
  prefix: string,
  name: string,
  self: InstanceOwner,
  what: string,
  log: Log,
  remove: () => void,
): void {
  const owner = parseInstanceName(prefix, name);
  if (owner === undefined) return;
  try {
    const fate = owner === "legacy" ? LEGACY : ownerFate(self, owner, processNow(host, owner.pid));
    if (fate.fate === "alive") return;
    if (fate.fate === "unknown") return log(`left ${what}: cannot tell whether its maker runs: ${fate.why}`);
    remove();
    log(`removed ${what} a dead cgleak left: ${fate.why}`);
  } catch (err) {
    // Another tracer starting now may have removed it first.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    log(`cannot remove ${what}: ${(err as Error).message}`);
  }
}
