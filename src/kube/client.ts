import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeApi } from "./sink.js";
import { KubeSink, type KubeSinkOptions } from "./sink.js";
import type { NodeCondition, Taint } from "./condition.js";

/** The node this pod runs on, from the downward API (env NODE_NAME from spec.nodeName). */
export function nodeNameFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.NODE_NAME?.trim();
  if (!name)
    throw new Error(
      "NODE_NAME is not set: add env NODE_NAME from fieldRef spec.nodeName (deploy/kubernetes/daemonset.yaml)",
    );
  return name;
}

/**
 * KubeApi over @kubernetes/client-node (loaded lazily: it costs ~100 ms to import). Config comes
 * from KUBECONFIG / ~/.kube/config, else the in-cluster service account, as kubectl does.
 */
export async function clientKubeApi(config?: KubeConfig): Promise<KubeApi> {
  const k8s = await import("@kubernetes/client-node");
  const kc = config ?? new k8s.KubeConfig();
  if (config === undefined) kc.loadFromDefault();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const as = (type: string) => k8s.setHeaderOptions("Content-Type", type);
  return {
    async getNode(name) {
      const n = await core.readNode({ name });
      return {
        uid: n.metadata?.uid ?? "",
        resourceVersion: n.metadata?.resourceVersion ?? "",
        conditions: (n.status?.conditions ?? []).map((c) => wire<NodeCondition>(c)),
        taints: n.spec?.taints?.map((t) => wire<Taint>(t)),
      };
    },
    async patchNodeStatus(name, body) {
      const n = await core.patchNodeStatus({ name, body }, as(k8s.PatchStrategy.StrategicMergePatch));
      return n.metadata?.resourceVersion ?? "";
    },
    async patchNode(name, ops) {
      await core.patchNode({ name, body: ops }, as(k8s.PatchStrategy.JsonPatch));
    },
    async createEvent(namespace, event) {
      try {
        await core.createNamespacedEvent({ namespace, body: event as never });
      } catch (err) {
        // 409 AlreadyExists: an earlier attempt got through but its answer was lost.
        if ((err as { code?: number }).code !== 409) throw err;
      }
    },
  };
}

/** A KubeSink for `serve --kube`: this node (NODE_NAME), the cluster's config. */
export async function createKubeSink(
  o: Omit<KubeSinkOptions, "api" | "nodeName"> & { nodeName?: string; config?: KubeConfig },
): Promise<KubeSink> {
  const { config, nodeName, ...rest } = o;
  return new KubeSink({ ...rest, nodeName: nodeName ?? nodeNameFromEnv(), api: await clientKubeApi(config) });
}

/**
 * Back to the JSON the API server stores: the client turns times into Dates, and a Date would
 * serialise with milliseconds, so a `test` op comparing taints (timeAdded) would never match.
 */
function wire<T>(o: object): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = v instanceof Date ? rfc3339(v) : v;
  }
  return out as T;
}

/** metav1.Time's form: RFC 3339 to the second. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
