import * as fs from "node:fs";
import * as path from "node:path";
import { openStore, type Store } from "../store/store.js";
import type { Persistence } from "./db.js";
import type { Exporter } from "./tick.js";

export const COMPACT_EVERY_MS = 3_600_000;

/** Opens the database, creating its directory; errors are the store collector's to log and retry. */
export function opener(db: string): () => Store {
  return () => {
    if (db !== ":memory:") fs.mkdirSync(path.dirname(db), { recursive: true });
    // A short wait: a lock is retried next tick with the pending samples; the event loop must not stall.
    return openStore(db, { busyTimeoutMs: 50 });
  };
}

/** The database's hourly compaction (idempotent, docs/store.md), on the first tick of each hour of ticks. */
export function compactionExporter(db: Pick<Persistence, "compact">, startMs = Date.now()): Exporter {
  let last = startMs;
  return {
    name: "store",
    export(t) {
      if (t.atMs - last < COMPACT_EVERY_MS) return;
      last = t.atMs;
      db.compact(t.atMs);
    },
  };
}
