/**
 * A small strategic merge for the overlay test: lists of objects merge by `name` (containers,
 * volumes, env) or `mountPath` (volumeMounts) as Kubernetes' patchMergeKey does; other lists
 * (args) are replaced; null deletes a key. Enough for our DaemonSet patch, not a general engine.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function strategicMerge(base: Obj, patch: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const b = out[k];
    if (v === null) delete out[k];
    else if (isObj(v) && isObj(b)) out[k] = strategicMerge(b, v);
    else if (Array.isArray(v) && Array.isArray(b) && v.every(isObj) && b.every(isObj))
      out[k] = mergeList(b, v, k === "volumeMounts" ? "mountPath" : "name");
    else out[k] = v;
  }
  return out;
}

function mergeList(base: Obj[], patch: Obj[], key: string): Obj[] {
  if (!patch.every((p) => key in p)) return patch;
  const out = base.map((b) => ({ ...b }));
  for (const p of patch) {
    const i = out.findIndex((b) => b[key] === p[key]);
    if (i >= 0) out[i] = strategicMerge(out[i] as Obj, p);
    else out.push(p);
  }
  return out;
}
