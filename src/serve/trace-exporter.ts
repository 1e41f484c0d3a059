import type { Host } from "../host/host.js";
import { PodCache } from "../kube/pod-cache.js";
import { readBootId } from "../collect/boot-id.js";
import type { Collectors } from "./collectors.js";
import type { Persistence } from "./db.js";
import type { Exporter } from "./tick.js";
import { ServeTrace } from "./trace.js";

/** The tracer, its stored set restored; throws TracefsUnavailable (not root, no tracefs). */
export function startTrace(
  o: { host: Host; log: (line: string) => void; kube: boolean },
  db: Persistence,
  collectors: Collectors,
): ServeTrace {
  const t = new ServeTrace({
    host: o.host,
    store: () => db.store,
    runStore: (fn) => void collectors.run("store", fn),
    bootId: readBootId(o.host),
    log: o.log,
    pods: o.kube ? new PodCache({ log: o.log }) : null,
  });
  t.start();
  return t;
}

/** Each walk resyncs the named set with the kernel's dying count; changes are saved. */
export function traceExporter(trace: ServeTrace): Exporter {
  return { name: "trace", export: (t) => trace.afterTick(t.report?.memcg.dying ?? null, t.walked) };
}
