import type { Host } from "../host/host.js";
import { parseCgroupEvents } from "../parsers/cgroup-events.js";
import { parseSingleValue } from "../parsers/single-value.js";
import type { CgroupHierarchy } from "./mounts.js";
import type { WalkEntry } from "../host/walk.js";
import { parentOf, shapeOf } from "./subtrees.js";

/** Facts that need a file read in every memcg: three system calls each, so read only on demand. */
export interface PerMemcgFacts {
  /** Cgroups with no process in their subtree, older than the threshold: userland leaks use IDs too. */
  empty: { minAgeSeconds: number; count: number; groups: EmptyGroup[] } | null;
  /** v1 memcgs whose kernel-memory accounting is active (memory.kmem.usage_in_bytes > 0). */
  kmem: { on: number; of: number; podOn: number; podOf: number; examples: string[] } | null;
}

export interface EmptyGroup {
  shape: string;
  count: number;
}

const EXAMPLES = 5;

/** Reads cgroup.procs / cgroup.events and memory.kmem.usage_in_bytes of each memcg the walk visits. */
export class PerMemcgReader {
  private readonly rels: string[] = [];
  private readonly mtimes: number[] = [];
  private readonly populated: boolean[] = [];
  private kmemOn = 0;
  private kmemOf = 0;
  private podOn = 0;
  private podOf = 0;
  private readonly kmemExamples: string[] = [];

  constructor(
    private readonly host: Host,
    private readonly h: CgroupHierarchy,
    private readonly opts: { perMemcg: { empty: boolean; kmem: boolean }; now: number; emptyMinAgeMs: number },
  ) {}

  visit(e: WalkEntry): void {
    const dir = e.rel === "" ? this.h.mountPoint : `${this.h.mountPoint}/${e.rel}`;
    if (this.opts.perMemcg.empty) {
      this.rels.push(e.rel);
      this.mtimes.push(e.mtimeMs);
      this.populated.push(this.hasProcesses(dir));
    }
    if (this.opts.perMemcg.kmem && this.h.version === 1 && e.rel !== "") this.readKmem(dir, e.rel);
  }

  finish(): PerMemcgFacts {
    return {
      empty: this.opts.perMemcg.empty ? this.emptyFacts() : null,
      kmem:
        this.opts.perMemcg.kmem && this.h.version === 1
          ? { on: this.kmemOn, of: this.kmemOf, podOn: this.podOn, podOf: this.podOf, examples: this.kmemExamples }
          : null,
    };
  }

  /** v2 says it for the whole subtree; on v1 this is the cgroup's own processes, spread up in emptyFacts. */
  private hasProcesses(dir: string): boolean {
    if (this.h.version === 2) {
      const file = `${dir}/cgroup.events`;
      const text = this.host.readTextIfExists(file);
      return text === undefined ? false : parseCgroupEvents(text, file).populated;
    }
    const procs = this.host.readTextIfExists(`${dir}/cgroup.procs`);
    return procs !== undefined && procs.trim() !== "";
  }

  private emptyFacts(): NonNullable<PerMemcgFacts["empty"]> {
    const index = new Map<string, number>();
    this.rels.forEach((rel, i) => index.set(rel, i));
    // Parents are visited before their children, so a reverse pass carries "has a process" upwards.
    for (let i = this.rels.length - 1; i > 0; i--) {
      if (!this.populated[i]) continue;
      const p = index.get(parentOf(this.rels[i] as string));
      if (p !== undefined) this.populated[p] = true;
    }
    const cutoff = this.opts.now - this.opts.emptyMinAgeMs;
    const groups = new Map<string, number>();
    let count = 0;
    this.rels.forEach((rel, i) => {
      if (rel === "" || this.populated[i] || (this.mtimes[i] as number) > cutoff) return;
      count++;
      const shape = shapeOf(rel);
      groups.set(shape, (groups.get(shape) ?? 0) + 1);
    });
    // By code unit, not localeCompare: that loads ICU's collator, 2.6 MB a daemon keeps (src/scan.ts byCodeUnit).
    const sorted = [...groups.entries()]
      .map(([shape, n]) => ({ shape, count: n }))
      .sort((a, b) => b.count - a.count || (a.shape < b.shape ? -1 : a.shape > b.shape ? 1 : 0));
    return { minAgeSeconds: this.opts.emptyMinAgeMs / 1000, count, groups: sorted.slice(0, 10) };
  }

  private readKmem(dir: string, rel: string): void {
    const file = `${dir}/memory.kmem.usage_in_bytes`;
    const text = this.host.readTextIfExists(file);
    if (text === undefined) return;
    // Pod and container memcgs are the ones kubelet and runc create: the article's trigger.
    const pod = /(^|\/)pod[0-9a-f_-]{8,}/i.test(rel);
    this.kmemOf++;
    if (pod) this.podOf++;
    if (parseSingleValue(text, file) > 0) {
      this.kmemOn++;
      if (pod) this.podOn++;
      if (this.kmemExamples.length < EXAMPLES) this.kmemExamples.push(rel);
    }
  }
}
