import type { Host } from "../host/host.js";
import { DyingSet } from "../analyze/dying-set.js";
import { DyingTracer, memoryHierarchyId, type DyingTracerOptions } from "../collect/dying-tracer.js";
import { removeDeadTracers } from "./trace-cleanup.js";

/**
 * The dying tracer `cgleak trace` and `serve --trace` run: on start it first removes the instances
 * dead cgleaks of the same prefix left (one line each through `log`), then makes its own.
 */
export function dyingTracer(host: Host, log: (line: string) => void, opts: DyingTracerOptions = {}): DyingTracer {
  const prefix = opts.instancePrefix ?? "cgleak";
  return new DyingTracer(host, new DyingSet(memoryHierarchyId(host)), {
    ...opts,
    instancePrefix: prefix,
    beforeOpen: (base, self) => removeDeadTracers(host, base, prefix, self, log),
  });
}
