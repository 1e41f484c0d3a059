import { parseFlatKeyed } from "./keyed.js";
import { ParseError } from "../host/errors.js";

/** cgroup v2 `cgroup.events`. */
export interface CgroupEvents {
  /** True when this cgroup or a descendant has a live process. */
  populated: boolean;
  frozen?: boolean;
}

/** Parses cgroup v2 `cgroup.events` (populated since 4.5; frozen since 5.2). */
export function parseCgroupEvents(text: string, file: string): CgroupEvents {
  const kv = parseFlatKeyed(text, file);
  const populated = kv.get("populated");
  if (populated === undefined) throw new ParseError(file, 0, 'expected a "populated" line, found none');
  const events: CgroupEvents = { populated: populated !== 0 };
  const frozen = kv.get("frozen");
  if (frozen !== undefined) events.frozen = frozen !== 0;
  return events;
}
