import { Sampler, type SamplerOptions } from "../serve/sampler.js";
import { Collectors } from "../serve/collectors.js";
import { Persistence } from "../serve/db.js";
import type { Store } from "../store/store.js";

export type TestSamplerOptions = Omit<SamplerOptions, "db" | "collectors"> & {
  /** Opens the database; null keeps samples in memory only. */
  openStore: (() => Store) | null;
  log?: (line: string) => void;
};

/** A Sampler wired as serve wires it (its collectors, its database), without the daemon around it. */
export function makeSampler(o: TestSamplerOptions): { sampler: Sampler; db: Persistence; logs: string[] } {
  const logs: string[] = [];
  const log = o.log ?? ((l: string) => void logs.push(l));
  const collectors = new Collectors(log, o.now);
  const db = new Persistence(o.openStore, (fn, note) => collectors.run("store", fn, undefined, note));
  const { openStore: _open, log: _log, ...rest } = o;
  return { sampler: new Sampler({ ...rest, db, collectors }), db, logs };
}
