import type { ScanReport } from "../analyze/report.js";
import {
  CONDITION_TYPE,
  conditionPatch,
  desiredFrom,
  nodeEvent,
  taintPatch,
  type Desired,
  type JsonPatchOp,
  type NodeCondition,
  type ReaperView,
  type Taint,
} from "./condition.js";

/** The four API calls the sink makes; src/kube/client.ts implements them with @kubernetes/client-node. */
export interface KubeApi {
  getNode(
    name: string,
  ): Promise<{ uid: string; resourceVersion: string; conditions: NodeCondition[]; taints: Taint[] | undefined }>;
  /** PATCH nodes/{name}/status, application/strategic-merge-patch+json; the node's new resourceVersion. */
  patchNodeStatus(name: string, body: object): Promise<string>;
  /** PATCH nodes/{name}, application/json-patch+json. */
  patchNode(name: string, ops: JsonPatchOp[]): Promise<void>;
  /** POST namespaces/{ns}/events. */
  createEvent(namespace: string, event: object): Promise<void>;
}

export interface KubeSinkOptions {
  api: KubeApi;
  nodeName: string;
  /** Taint the node NoSchedule from this level on; null never taints. */
  taintAt: "warning" | "critical" | null;
  log?: (line: string) => void;
  now?: () => number;
  backoff?: { initialMs: number; maxMs: number };
}

const RANK = { ok: 0, warning: 1, critical: 2 } as const;

/**
 * Keeps the node's MemoryCgroupLeak condition (and optionally a NoSchedule taint) in step with the
 * scans. update() only records the newest wish and returns: a single worker applies it, so a slow
 * or absent API server never delays sampling, and stale wishes are dropped (latest wins).
 */
export class KubeSink {
  private pending: Desired | null = null;
  private running = false;
  private closed = false;
  private events: object[] = [];
  private waiters: Array<() => void> = [];
  private wake: (() => void) | null = null;
  /** Failed attempts so far (for logs and tests). */
  failures = 0;
  private seq = 0;

  constructor(private readonly o: KubeSinkOptions) {}

  update(report: ScanReport, forecast?: { secondsToCap: number | null }, reaper?: ReaperView | null): void {
    if (this.closed) return;
    this.pending = desiredFrom(report, forecast, (this.o.now ?? Date.now)(), reaper);
    if (!this.running) void this.run();
  }

  /** Resolves when nothing is left to apply (tests; a clean shutdown). */
  idle(): Promise<void> {
    return !this.running ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    this.running = true;
    const { initialMs, maxMs } = this.o.backoff ?? { initialMs: 500, maxMs: 60_000 };
    let delay = initialMs;
    while (this.pending !== null && !this.closed) {
      const want = this.pending;
      this.pending = null;
      try {
        await this.apply(want);
        delay = initialMs;
      } catch (err) {
        this.failures++;
        this.pending ??= want;
        this.o.log?.(`kube: ${describe(err)}; retrying in ${delay} ms`);
        await this.sleep(delay);
        delay = Math.min(maxMs, delay * 2);
      }
    }
    this.running = false;
    for (const w of this.waiters.splice(0)) w();
  }

  private async apply(d: Desired): Promise<void> {
    const name = this.o.nodeName;
    const node = await this.o.api.getNode(name);
    const { body, transition } = conditionPatch(
      d,
      node.conditions.find((c) => c.type === CONDITION_TYPE),
    );
    // Our own status write moves the resourceVersion the taint patch may test against.
    const resourceVersion = await this.o.api.patchNodeStatus(name, body);
    // Queued before sending, so a failed POST is retried on the next attempt, and sent once.
    if (transition)
      this.events.push(nodeEvent({ name, uid: node.uid }, d, (this.o.now ?? Date.now)() * 1000 + (this.seq++ % 1000)));
    while (this.events.length > 0) {
      await this.o.api.createEvent("default", this.events[0] as object);
      this.events.shift();
    }
    const want = this.o.taintAt !== null && RANK[d.level] >= RANK[this.o.taintAt];
    const ops = taintPatch(want, node.taints, resourceVersion);
    if (ops !== null) await this.o.api.patchNode(name, ops);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      t.unref();
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}

function describe(err: unknown): string {
  const e = err as { code?: number | string; message?: string; cause?: { code?: string } };
  return `${e.cause?.code ?? e.code ?? "error"}: ${(e.message ?? String(err)).split("\n")[0]}`;
}
