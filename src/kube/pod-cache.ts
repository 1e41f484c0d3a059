import type { KubeConfig, ListWatch, V1Pod } from "@kubernetes/client-node";

/** What a dying memcg's pod UID names, learnt while the pod was alive. */
export interface PodName {
  namespace: string;
  name: string;
  /** The controlling owner: a ReplicaSet's pod-template hash is stripped to name its Deployment. */
  ownerKind?: string;
  ownerName?: string;
}

/** The fields of a v1 Pod the cache reads (the client's V1Pod, or a watch event's object). */
export interface PodLike {
  metadata?: {
    uid?: string;
    name?: string;
    namespace?: string;
    ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
  };
}

export const MAX_PODS = 10_000;
/** How long a deleted pod stays nameable: its memcgs may stay dying for hours (page cache). */
export const DELETED_TTL_MS = 24 * 3_600_000;

/** A ReplicaSet made by a Deployment is "<deployment>-<pod-template-hash>" (safe-encoded, 1-10 chars). */
const RS_HASH = /^(.+)-[bcdfghjklmnpqrstvwxz2456789]{1,10}$/;

export function podName(p: PodLike): PodName | null {
  const m = p.metadata;
  if (!m?.uid || !m.name) return null;
  const out: PodName = { namespace: m.namespace ?? "", name: m.name };
  const refs = m.ownerReferences ?? [];
  const owner = refs.find((r) => r.controller === true) ?? refs[0];
  if (owner === undefined) return out;
  const dep = owner.kind === "ReplicaSet" ? RS_HASH.exec(owner.name) : null;
  out.ownerKind = dep ? "Deployment" : owner.kind;
  out.ownerName = dep ? (dep[1] as string) : owner.name;
  return out;
}

/**
 * uid → pod name, bounded: live pods are kept, deleted ones for DELETED_TTL_MS, and past MAX_PODS
 * the least recently seen entry goes (a Map keeps insertion order: touching re-inserts).
 */
export class PodNames {
  private readonly pods = new Map<string, PodName & { deletedAt?: number }>();

  constructor(
    private readonly max = MAX_PODS,
    private readonly ttlMs = DELETED_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  seen(p: PodLike): void {
    const n = podName(p);
    if (n === null) return;
    const uid = (p.metadata?.uid as string).toLowerCase();
    this.pods.delete(uid);
    this.pods.set(uid, n);
    while (this.pods.size > this.max) this.pods.delete(this.pods.keys().next().value as string);
  }

  deleted(p: PodLike): void {
    const uid = p.metadata?.uid?.toLowerCase();
    if (uid === undefined) return;
    if (!this.pods.has(uid)) this.seen(p);
    const e = this.pods.get(uid);
    if (e !== undefined) e.deletedAt = this.now();
  }

  get(uid: string): PodName | undefined {
    const e = this.pods.get(uid.toLowerCase());
    if (e === undefined) return undefined;
    if (e.deletedAt !== undefined && this.now() - e.deletedAt > this.ttlMs) {
      this.pods.delete(uid.toLowerCase());
      return undefined;
    }
    const { deletedAt: _d, ...name } = e;
    return name;
  }

  get size(): number {
    return this.pods.size;
  }
}

/** The cache's connection, for a report to say whether names can be missing. */
export type PodCacheStatus = { state: "syncing" | "synced" } | { state: "away"; error: string };

/**
 * Lists and watches the pods of one node (fieldSelector spec.nodeName) into PodNames. Never
 * throws and never blocks its caller: when the API is away it retries every retryMs, and the
 * names already learnt keep serving.
 */
export class PodCache implements PodSource {
  readonly names: PodNames;
  status: PodCacheStatus = { state: "syncing" };
  private lw: { start(): Promise<void>; stop(): Promise<void> } | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  /** config: default KUBECONFIG / in-cluster; nodeName: default NODE_NAME. */
  constructor(
    private readonly o: {
      config?: KubeConfig;
      nodeName?: string;
      log: (line: string) => void;
      retryMs?: number;
      names?: PodNames;
    },
  ) {
    this.names = o.names ?? new PodNames();
  }

  /** Resolves once the first list was tried; never rejects (a failure is the status "away"). */
  async start(): Promise<void> {
    try {
      const k8s = await import("@kubernetes/client-node");
      const config = this.o.config ?? new k8s.KubeConfig();
      if (this.o.config === undefined) config.loadFromDefault();
      const core = config.makeApiClient(k8s.CoreV1Api);
      const fieldSelector = `spec.nodeName=${this.o.nodeName ?? (await import("./client.js")).nodeNameFromEnv()}`;
      this.watch(
        new k8s.ListWatch<V1Pod>(
          "/api/v1/pods",
          new k8s.Watch(config),
          () => core.listPodForAllNamespaces({ fieldSelector }),
          false,
          undefined,
          fieldSelector,
        ),
      );
      await this.begin();
    } catch (err) {
      this.failed(err);
    }
  }

  private watch(lw: ListWatch<V1Pod>): void {
    lw.on("add", (p) => this.names.seen(p));
    lw.on("update", (p) => this.names.seen(p));
    lw.on("delete", (p) => this.names.deleted(p));
    lw.on("connect", () => {
      if (this.status.state === "away") this.status = { state: "syncing" };
    });
    lw.on("error", (err: unknown) => this.failed(err));
    this.lw = lw;
  }

  /** Synced once the list is in: a watch that ends and reconnects keeps "synced". */
  private async begin(): Promise<void> {
    if (this.stopped || this.lw === null) return;
    await this.lw.start().then(
      () => {
        if (this.status.state === "syncing") this.status = { state: "synced" };
      },
      (err: unknown) => this.failed(err),
    );
  }

  private failed(err: unknown): void {
    const msg = (err as Error)?.message?.split("\n")[0] ?? String(err);
    if (this.status.state !== "away")
      this.o.log(`kube: pod names unavailable (${msg}); dying memcgs are named from their paths until the API answers`);
    this.status = { state: "away", error: msg };
    if (this.stopped || this.retry !== null) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.begin();
    }, this.o.retryMs ?? 10_000);
    this.retry.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry !== null) clearTimeout(this.retry);
    void this.lw?.stop();
  }
}

/** What a tracer needs of a pod cache (PodCache, or a stand-in in tests). */
export interface PodSource {
  readonly names: PodNames;
  readonly status: PodCacheStatus;
  start(): Promise<void>;
  stop(): void;
}
