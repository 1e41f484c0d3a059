import type { KubeApi } from "./sink.js";
import type { PassReport } from "../actions/reap-report.js";
import { rfc3339 } from "./client.js";

const MiB = 1024 * 1024;

/** The Event a reaper pass leaves on its node: what it freed and what it cost, or what it cannot free. */
export function reapEvent(node: { name: string; uid: string }, r: PassReport, micros: number): object {
  const freed = r.verdict === "acted" && (r.dyingFreed > 0 || r.pinnedFreed > 0);
  const reason = r.verdict !== "acted" ? "MemcgReapUnreclaimable" : freed ? "MemcgReaped" : "MemcgReapFreedNothing";
  const at = rfc3339(new Date(Date.parse(r.at)));
  return {
    metadata: { name: `${node.name}.reap.${(BigInt(micros) * 1000n).toString(16)}`, namespace: "default" },
    involvedObject: { apiVersion: "v1", kind: "Node", name: node.name, uid: node.uid },
    reason,
    message: message(r).slice(0, 1024),
    type: freed ? "Normal" : "Warning",
    source: { component: "cgleak", host: node.name },
    reportingComponent: "cgleak",
    reportingInstance: node.name,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

function message(r: PassReport): string {
  const mib = (b: number): string => `${(b / MiB).toFixed(1)} MiB`;
  if (r.verdict !== "acted")
    return `${r.reason}: ${r.unreclaimable.map((u) => `${u.path}${u.bytes === null ? "" : ` ${mib(u.bytes)}`}: ${u.reason}`).join("; ")}`;
  const merit =
    r.dyingFreedPerGiBEvicted === null
      ? "no live page cache evicted"
      : `${Math.round(r.dyingFreedPerGiBEvicted)} dying memcgs freed per GiB of live cache evicted`;
  return `reap (${r.method}): ${r.dyingFreed} dying memcgs freed (${r.dyingBefore} -> ${r.dyingAfter}), ${mib(r.pinnedFreed)} of pinned page cache freed; live page cache evicted ${mib(r.liveCacheEvicted)}, ${r.refaults} refaults after; ${merit}`;
}

/**
 * Posts one Event per pass, from a queue so the reaper never waits on the API server; a failed
 * POST stays queued for the next pass (at most 20 kept).
 */
export class ReapEvents {
  private queue: object[] = [];
  private uid: string | null = null;
  private busy: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(
    private readonly api: KubeApi,
    private readonly nodeName: string,
    private readonly log: (line: string) => void,
  ) {}

  post(r: PassReport): Promise<void> {
    this.busy = this.busy.then(() => this.send(r));
    return this.busy;
  }

  private async send(r: PassReport): Promise<void> {
    try {
      this.uid ??= (await this.api.getNode(this.nodeName)).uid;
      this.queue.push(reapEvent({ name: this.nodeName, uid: this.uid }, r, Date.now() * 1000 + (this.seq++ % 1000)));
      if (this.queue.length > 20) this.queue.splice(0, this.queue.length - 20);
      while (this.queue.length > 0) {
        await this.api.createEvent("default", this.queue[0] as object);
        this.queue.shift();
      }
    } catch (err) {
      this.log(`kube: reap event: ${(err as Error).message.split("\n")[0]}; kept for the next pass`);
    }
  }
}
