import Database from "better-sqlite3";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Sample } from "../analyze/sample.js";
import { TIERS, downsample, raw, type StoredSample } from "./downsample.js";

export type { StoredSample };
export const DEFAULT_DB_PATH = "/var/lib/cgleak/cgleak.db";
/** Bumped with every schema change; a newer file is refused rather than misread. */
export const SCHEMA_VERSION = 1;

/** putState key under which the daemon keeps what the forecast needs to know about the node. */
export const NODE_STATE_KEY = "node";
export interface NodeState {
  dyingHoldIds: boolean | "unknown";
  /** uname -r when the daemon wrote it. */
  release: string;
  /** The assessment's verdict at the last walk (absent in stores older than it). */
  level?: "ok" | "warning" | "critical";
  risk?: { atRiskNow: boolean; why: string };
  at?: string;
}

export type StoreErrorKind = "corrupt" | "locked" | "full" | "schema" | "io";

/**
 * The database cannot be used. The message names the file and says why, in one line; `kind` lets
 * the daemon decide (keep serving from memory in every case, retry "locked" and "full" later).
 */
export class StoreError extends Error {
  override name = "StoreError" as const;
  constructor(
    readonly file: string,
    readonly kind: StoreErrorKind,
    detail: string,
  ) {
    super(`Cannot use the cgleak database ${file}: ${detail}`);
  }
}

/** SQLite's and the OS's codes, in words an operator can act on. */
export function storeError(file: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? "";
  const why = `${e.message ?? String(err)}${code ? ` [${code}]` : ""}`;
  if (/^SQLITE_(NOTADB|CORRUPT)/.test(code))
    return new StoreError(
      file,
      "corrupt",
      `not a SQLite database, or corrupt: move it aside and cgleak starts a new one (${why})`,
    );
  if (/^SQLITE_(BUSY|LOCKED)/.test(code))
    return new StoreError(file, "locked", `locked by another process (is a second cgleak serve running?) (${why})`);
  if (code === "SQLITE_FULL" || code === "ENOSPC")
    return new StoreError(file, "full", `the disk or the database is full (${why})`);
  return new StoreError(file, "io", why);
}

export interface Store {
  readonly path: string;
  append(s: Sample): void;
  /** One transaction: for a daemon flushing what it kept in memory while the disk was away. */
  appendMany(s: Sample[]): void;
  /** Every tier's rows with sinceMs ≤ t < untilMs, oldest first (tiers never overlap in time). */
  range(sinceMs: number, untilMs?: number): StoredSample[];
  latest(): StoredSample | undefined;
  /** Moves rows that outlived their tier into the next one (see TIERS); run it e.g. hourly. */
  compact(nowMs: number): { moved: number; dropped: number };
  putState(key: string, json: unknown): void;
  getState(key: string): unknown;
  /** Size of the database in bytes (pages in use and free), WAL excluded. */
  bytes(): number;
  close(): void;
}

export interface OpenOptions {
  /** Open an existing database without writing to it (`cgleak forecast`). */
  readonly?: boolean;
  /** How long to wait for another writer before failing with StoreError "locked". */
  busyTimeoutMs?: number;
}

const SCHEMA = `
  CREATE TABLE boot (id INTEGER PRIMARY KEY, boot_id TEXT NOT NULL UNIQUE);
  -- n, total_max and ids_used_max are NULL for raw rows (n = 1): a NULL costs no byte.
  CREATE TABLE sample (
    tier INTEGER NOT NULL, t INTEGER NOT NULL, boot INTEGER NOT NULL REFERENCES boot(id),
    total INTEGER NOT NULL, live INTEGER, dying INTEGER, ids_used INTEGER, pinned INTEGER,
    n INTEGER, total_max INTEGER, ids_used_max INTEGER,
    PRIMARY KEY (tier, t)) WITHOUT ROWID;
  CREATE TABLE state (key TEXT PRIMARY KEY, json TEXT NOT NULL, t INTEGER NOT NULL);`;

const COLUMNS =
  "s.tier, s.t, b.boot_id, s.total, s.live, s.dying, s.ids_used, s.pinned, s.n, s.total_max, s.ids_used_max";

export function openStore(path: string = DEFAULT_DB_PATH, opts: OpenOptions = {}): Store {
  let db: Database.Database | undefined;
  try {
    if (opts.readonly && path !== ":memory:" && !existsSync(path))
      throw new StoreError(path, "io", "does not exist (cgleak serve creates it: is it running, with this --db?)");
    if (path !== ":memory:" && !opts.readonly) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, {
      readonly: opts.readonly ?? false,
      fileMustExist: opts.readonly ?? false,
      timeout: opts.busyTimeoutMs ?? 1000,
    });
    if (!opts.readonly) {
      db.pragma("journal_mode = WAL");
      // NORMAL is durable against crashes of cgleak in WAL mode; a power cut may lose the last samples.
      db.pragma("synchronous = NORMAL");
      db.pragma("journal_size_limit = 1048576");
    }
    migrate(db, path, opts.readonly ?? false);
    return new SqliteStore(db, path);
  } catch (err) {
    db?.close();
    throw storeError(path, err);
  }
}

function migrate(db: Database.Database, path: string, readonly: boolean): void {
  const v = db.pragma("user_version", { simple: true }) as number;
  if (v === SCHEMA_VERSION) return;
  if (v > SCHEMA_VERSION)
    throw new StoreError(path, "schema", `written by a newer cgleak (schema ${v}, this one reads ${SCHEMA_VERSION})`);
  const tables = db.prepare("SELECT count(*) AS c FROM sqlite_schema").get() as { c: number };
  if (readonly || tables.c > 0)
    throw new StoreError(
      path,
      "schema",
      readonly ? "holds no cgleak history yet" : "is a SQLite database but not cgleak's (no schema version)",
    );
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

interface Row {
  tier: number;
  t: number;
  boot_id: string;
  total: number;
  live: number | null;
  dying: number | null;
  ids_used: number | null;
  pinned: number | null;
  n: number | null;
  total_max: number | null;
  ids_used_max: number | null;
}

function fromRow(r: Row): StoredSample {
  return {
    t: r.t,
    bootId: r.boot_id,
    total: r.total,
    live: r.live,
    dying: r.dying,
    idsUsed: r.ids_used,
    pinnedBytes: r.pinned,
    n: r.n ?? 1,
    totalMax: r.total_max ?? r.total,
    idsUsedMax: r.ids_used_max ?? r.ids_used,
  };
}

class SqliteStore implements Store {
  private readonly boots = new Map<string, number>();
  private readonly q;

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    const sel = `SELECT ${COLUMNS} FROM sample s JOIN boot b ON b.id = s.boot`;
    this.q = {
      insert: db.prepare("INSERT OR REPLACE INTO sample VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      range: db.prepare(
        `${sel} WHERE s.tier IN (${TIERS.map((t) => t.tier).join(",")}) AND s.t >= ? AND s.t < ? ORDER BY s.t`,
      ),
      tierBefore: db.prepare(`${sel} WHERE s.tier = ? AND s.t < ? ORDER BY s.t`),
      dropBefore: db.prepare("DELETE FROM sample WHERE tier = ? AND t < ?"),
      latest: db.prepare(`${sel} WHERE s.tier = ? ORDER BY s.t DESC LIMIT 1`),
      bootId: db.prepare("SELECT id FROM boot WHERE boot_id = ?"),
      addBoot: db.prepare("INSERT INTO boot (boot_id) VALUES (?)"),
      putState: db.prepare("INSERT OR REPLACE INTO state VALUES (?, ?, ?)"),
      getState: db.prepare("SELECT json FROM state WHERE key = ?"),
    };
  }

  append(s: Sample): void {
    this.guard(() => this.write(0, raw(s)));
  }

  appendMany(s: Sample[]): void {
    this.guard(() => this.db.transaction(() => s.forEach((x) => this.write(0, raw(x))))());
  }

  range(sinceMs: number, untilMs = Number.MAX_SAFE_INTEGER): StoredSample[] {
    return this.guard(() => (this.q.range.all(sinceMs, untilMs) as Row[]).map(fromRow));
  }

  latest(): StoredSample | undefined {
    return this.guard(() => {
      const rows = TIERS.map((t) => this.q.latest.get(t.tier) as Row | undefined).filter(
        (r): r is Row => r !== undefined,
      );
      const best = rows.sort((a, b) => b.t - a.t)[0];
      return best && fromRow(best);
    });
  }

  compact(nowMs: number): { moved: number; dropped: number } {
    return this.guard(() => this.db.transaction(() => this.compactTiers(nowMs))());
  }

  private compactTiers(nowMs: number): { moved: number; dropped: number } {
    let moved = 0;
    let dropped = 0;
    TIERS.forEach((tier, i) => {
      const next = TIERS[i + 1];
      // Cut at a whole bucket of the next tier, so no bucket is ever split between two runs.
      const cutoff = next ? Math.floor((nowMs - tier.keepMs) / next.bucketMs) * next.bucketMs : nowMs - tier.keepMs;
      if (next) {
        const rows = (this.q.tierBefore.all(tier.tier, cutoff) as Row[]).map(fromRow);
        downsample(rows, next.bucketMs).forEach((r) => this.write(next.tier, r));
        moved += rows.length;
      }
      const { changes } = this.q.dropBefore.run(tier.tier, cutoff);
      if (!next) dropped = changes;
    });
    return { moved, dropped };
  }

  putState(key: string, json: unknown): void {
    this.guard(() => this.q.putState.run(key, JSON.stringify(json), Date.now()));
  }

  getState(key: string): unknown {
    return this.guard(() => {
      const r = this.q.getState.get(key) as { json: string } | undefined;
      return r === undefined ? undefined : (JSON.parse(r.json) as unknown);
    });
  }

  bytes(): number {
    return this.guard(
      () =>
        (this.db.pragma("page_count", { simple: true }) as number) *
        (this.db.pragma("page_size", { simple: true }) as number),
    );
  }

  close(): void {
    if (this.db.open) this.guard(() => this.db.close());
  }

  private write(tier: number, r: StoredSample): void {
    const agg = r.n > 1;
    this.q.insert.run(
      tier,
      r.t,
      this.boot(r.bootId),
      r.total,
      r.live,
      r.dying,
      r.idsUsed,
      r.pinnedBytes,
      agg ? r.n : null,
      agg ? r.totalMax : null,
      agg ? r.idsUsedMax : null,
    );
  }

  private boot(bootId: string): number {
    let id = this.boots.get(bootId);
    if (id === undefined) {
      const r = this.q.bootId.get(bootId) as { id: number } | undefined;
      id = r ? r.id : Number(this.q.addBoot.run(bootId).lastInsertRowid);
      this.boots.set(bootId, id);
    }
    return id;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw storeError(this.path, err);
    }
  }
}
