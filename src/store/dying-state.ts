import type { DyingCgroup } from "../analyze/dying-set.js";
import type { PodName } from "../kube/pod-cache.js";

/** The store key `serve --trace` keeps its named dying set under; `cgleak explain` reads it back. */
export const DYING_STATE_KEY = "dying";

/** What the store keeps under "dying": enough to name the set again after a restart. */
export interface DyingState {
  bootId: string;
  root: number;
  sinceMs: number;
  savedAt: number;
  entries: DyingCgroup[];
  /** Pod UID → name (--kube), for the entries' pods: a restart or `cgleak explain` can name them without the API. */
  pods?: Record<string, PodName>;
}
