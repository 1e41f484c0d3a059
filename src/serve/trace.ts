import type { Host } from "../host/host.js";
import type { DyingTracer } from "../collect/dying-tracer.js";
import { dyingTracer } from "../actions/tracer.js";
import type { DyingCgroup, SetChange } from "../analyze/dying-set.js";
import type { Store } from "../store/store.js";
import { DYING_STATE_KEY, type DyingState } from "../store/dying-state.js";
import { countByWorkload, dyingDoc } from "./trace-doc.js";
import { attribute, type Attribution } from "../analyze/attribution.js";
import { workloadOf } from "../analyze/findings/dying-workloads.js";
import type { PodName, PodSource } from "../kube/pod-cache.js";
import { podNamesNote } from "../sinks/trace-text.js";

export interface ServeTraceOptions {
  host: Host;
  /** The open store, or null while it is away; errors are thrown for the caller's store collector. */
  store: () => Store | null;
  runStore: (fn: () => void) => void;
  bootId: string;
  log: (line: string) => void;
  /** Each rmdir -> release lifetime, in seconds; more listeners with onReleased(). */
  onReleased?: (seconds: number) => void;
  saveEveryMs?: number;
  /** `--kube`: the pod cache naming pod UIDs; null or absent: named from paths only. */
  pods?: PodSource | null;
}

/**
 * `serve --trace`: the dying tracer, its set kept in the store across restarts. Entries restored
 * from the store, and all names held when the kernel dropped events, are "unconfirmed": their
 * release may have gone unseen. Each walk resyncs: when the named set outnumbers the kernel's dying
 * count, that many unconfirmed entries are dropped, oldest first (reclaim frees the oldest page
 * cache first, so the oldest pinned memcgs go first).
 */
export class ServeTrace {
  readonly tracer: DyingTracer;
  sinceMs = Date.now();
  private readonly unconfirmed = new Set<string>();
  private dirty = false;
  private savedAt = 0;
  /** Names stored with a restored set: those pods may be gone from the API (and from the cache). */
  private storedPods: Record<string, PodName> = {};
  private readonly released: Array<(seconds: number) => void> = [];

  constructor(private readonly o: ServeTraceOptions) {
    this.tracer = dyingTracer(o.host, (l) => o.log(`trace: ${l}`));
    this.tracer.on("change", (c: SetChange) => this.changed(c));
    this.tracer.on("lost", (l: { count: number }) => {
      for (const c of this.tracer.dyingSet()) this.unconfirmed.add(key(c));
      o.log(
        `trace: the kernel dropped ${l.count} trace events; ${this.unconfirmed.size} names unconfirmed until the next walk`,
      );
    });
    this.tracer.on("warning", (msg: string) => o.log(`trace: skipped a line: ${msg}`));
  }

  /** Restores the stored set (same boot, same hierarchy), then starts tracing. Throws TracefsUnavailable. */
  start(): void {
    this.restore();
    this.tracer.start();
    void this.o.pods?.start(); // never awaited: the tracer does not wait for the API
  }

  /** The pod a UID names: the live cache first, then the names stored with the set. */
  podName(uid: string): PodName | undefined {
    return this.o.pods?.names.get(uid) ?? this.storedPods[uid];
  }

  /** Where podName's names come from, for the pins' report. */
  podNote(): string {
    return podNamesNote(this.o.pods ?? null);
  }

  /** Names for the pods of the named set, as stored. */
  private namedPods(entries: DyingCgroup[]): Record<string, PodName> {
    const out: Record<string, PodName> = {};
    for (const c of entries) {
      const uid = attribute(c.path).podUid;
      const n = uid === undefined ? undefined : this.podName(uid);
      if (n !== undefined) out[uid as string] = n;
    }
    return out;
  }

  /** Public for tests: start() runs it before tracing. */
  restore(): void {
    let st: DyingState | undefined;
    this.o.runStore(() => {
      st = this.o.store()?.getState(DYING_STATE_KEY) as DyingState | undefined;
    });
    if (st === undefined) return;
    if (st.bootId !== this.o.bootId || st.root !== this.tracer.set.root) {
      this.o.log(
        `trace: ${st.entries.length} stored dying memcgs dropped: the node rebooted since (a reboot frees them all)`,
      );
      this.dirty = true;
      return;
    }
    this.sinceMs = st.sinceMs;
    this.storedPods = st.pods ?? {};
    for (const c of st.entries) {
      // Replayed as the events that made them, so the set's own bookkeeping stays the only one.
      if (c.createdAt !== undefined) this.tracer.set.apply(event("cgroup_mkdir", c), c.createdAt);
      this.tracer.set.apply(event("cgroup_rmdir", c), c.rmdirAt);
      this.unconfirmed.add(key(c));
    }
    this.o.log(
      `trace: restored ${st.entries.length} dying memcgs named since ${new Date(st.sinceMs).toISOString()}; any released while the daemon was down are dropped at the next walk`,
    );
  }

  private changed(c: SetChange): void {
    this.dirty = true;
    if (c.type !== "released") return;
    this.unconfirmed.delete(key(c.cgroup));
    this.o.onReleased?.(c.lifetimeMs / 1000);
    for (const l of this.released) l(c.lifetimeMs / 1000);
  }

  /** The metrics' histogram listens here: made after the tracer, it needs no name declared later. */
  onReleased(listener: (seconds: number) => void): void {
    this.released.push(listener);
  }

  /** After a walk: resync with the kernel's count; then save when changed (at most every saveEveryMs). */
  afterTick(kernelDying: number | null, walked: boolean, now = Date.now()): void {
    if (walked && kernelDying !== null) this.resync(kernelDying);
    if (this.dirty && (walked || now - this.savedAt >= (this.o.saveEveryMs ?? 30_000))) this.save(now);
  }

  private resync(kernelDying: number): void {
    this.tracer.poll();
    let excess = this.tracer.set.size - kernelDying;
    if (excess <= 0 || this.unconfirmed.size === 0) return this.unconfirmed.clear();
    let dropped = 0;
    for (const c of this.tracer.dyingSet()) {
      if (excess <= 0) break;
      if (!this.unconfirmed.has(key(c))) continue;
      this.tracer.set.apply(event("cgroup_release", c), Date.now()); // not emitted: no lifetime is known
      excess--;
      dropped++;
    }
    this.unconfirmed.clear();
    this.dirty = true;
    this.o.log(
      `trace: resync: ${dropped} named memcgs released unseen (the kernel counts ${kernelDying} dying), dropped oldest first`,
    );
  }

  save(now = Date.now()): void {
    const entries = this.tracer.dyingSet();
    const state: DyingState = {
      bootId: this.o.bootId,
      root: this.tracer.set.root,
      sinceMs: this.sinceMs,
      savedAt: now,
      entries,
      pods: this.namedPods(entries),
    };
    this.o.runStore(() => {
      const s = this.o.store();
      if (s === null) return;
      s.putState(DYING_STATE_KEY, state);
      this.dirty = false;
      this.savedAt = now;
    });
  }

  byWorkload(): ReturnType<typeof countByWorkload> {
    return countByWorkload(this.tracer.dyingSet());
  }

  get lostEvents(): number {
    return this.tracer.set.lostEvents;
  }

  doc(kernelDying: number | null, now = Date.now()): unknown {
    const set = this.tracer.set;
    const doc = dyingDoc({
      cgroups: set.list(),
      nowMs: now,
      sinceMs: this.sinceMs,
      hierarchy: set.root,
      kernelDying,
      releasedUnnamed: set.releasedUnnamed,
      lostEvents: set.lostEvents,
      lastLossAt: set.lastLossAt,
      unconfirmed: this.unconfirmed.size,
    }) as { groups: Array<{ attribution: Attribution; pod?: PodName; owner?: string }> };
    // Per pod, as the paths group them; `owner` names the Deployment, Job, ... each pod belongs to.
    for (const g of doc.groups) {
      const pod = g.attribution.podUid === undefined ? undefined : this.podName(g.attribution.podUid);
      if (pod === undefined) continue;
      g.pod = pod;
      g.owner = workloadOf(g.attribution, pod).workload;
    }
    return { ...doc, podNames: podNamesNote(this.o.pods ?? null) };
  }

  stop(): void {
    this.o.pods?.stop();
    this.tracer.stop();
    this.save();
  }
}

function key(c: { root: number; id: number }): string {
  return `${c.root}/${c.id}`;
}

function event(name: "cgroup_mkdir" | "cgroup_rmdir" | "cgroup_release", c: DyingCgroup) {
  return {
    kind: "cgroup" as const,
    event: name,
    task: "cgleak",
    pid: 0,
    cpu: 0,
    ts: 0,
    root: c.root,
    id: c.id,
    level: c.level,
    path: c.path,
  };
}
