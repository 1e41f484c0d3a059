import type { Sample } from "../analyze/sample.js";
import { NODE_STATE_KEY, StoreError, type NodeState, type Store } from "../store/store.js";

/** Runs a database call as the "store" collector: timed, logged on a new error, undefined on failure. */
export type StoreRunner = <T>(fn: () => T, note?: (err: unknown) => string) => T | undefined;

/** Samples kept for the database while it is away (full disk, lock): a week at the default interval. */
export const MAX_PENDING = 20_160;
/** A database that could not be opened (locked, full, unwritable) is tried again every this many ticks. */
export const REOPEN_EVERY_TICKS = 10;

/** One wording for every failed call, so a lock or a full disk logs one line, not one per call. */
const KEPT = (): string => "samples kept in memory";

/**
 * The daemon's side of the database: opens it (again later when the failure may pass), keeps the
 * samples it could not take, and writes them in one transaction when it can. A corrupt database
 * is not retried: the daemon serves from memory until restarted.
 */
export class Persistence {
  store: Store | null = null;
  pending: Sample[] = [];
  private retry = false;
  private ticks = 0;

  constructor(
    private readonly open: (() => Store) | null,
    private readonly run: StoreRunner,
  ) {
    this.tryOpen();
  }

  private tryOpen(): void {
    if (this.open === null) return;
    let failure: unknown;
    this.store =
      this.run(this.open, (err) => {
        failure = err;
        const kind = err instanceof StoreError ? err.kind : "io";
        this.retry = kind !== "corrupt" && kind !== "schema";
        return this.retry ? "samples kept in memory, opening it again later" : "serving from memory only";
      }) ?? null;
    if (failure === undefined) this.retry = false;
  }

  /** The forecast window back from the database, and which series holds IDs on this node. */
  resume(sinceMs: number, untilMs: number): { samples: Sample[]; holdIds: NodeState["dyingHoldIds"] | undefined } {
    const s = this.store;
    if (s === null) return { samples: [], holdIds: undefined };
    return {
      samples: this.run(() => s.range(sinceMs, untilMs), KEPT) ?? [],
      holdIds: this.run(() => (s.getState(NODE_STATE_KEY) as NodeState | undefined)?.dyingHoldIds, KEPT),
    };
  }

  persist(sample: Sample): void {
    if (this.store === null && !this.retry) return;
    this.pending.push(sample);
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
    if (this.store === null && ++this.ticks % REOPEN_EVERY_TICKS === 0) this.tryOpen();
    const s = this.store;
    if (s === null) return;
    const batch = this.pending;
    const ok = this.run(() => {
      if (batch.length === 1) s.append(batch[0] as Sample);
      else s.appendMany(batch);
      return true;
    }, KEPT);
    if (ok !== undefined) this.pending = [];
  }

  putNodeState(state: NodeState): void {
    const s = this.store;
    if (s !== null) this.run(() => s.putState(NODE_STATE_KEY, state), KEPT);
  }

  compact(nowMs: number): void {
    const s = this.store;
    if (s !== null) this.run(() => s.compact(nowMs), KEPT);
  }

  close(): void {
    this.store?.close();
    this.store = null;
  }
}
