import type { IdUse } from "./ids.js";
import type { SubtreeFacts } from "../collect/memcg.js";
import type { Charge } from "../collect/pins.js";
import type { ControllerFacts } from "../collect/controllers.js";

/** Dying cgroups per controller (by ControllerFacts.name) at an earlier walk. */
export interface ControllersBefore {
  atMs: number;
  dying: Record<string, number>;
}
import type { EmptyGroup } from "../collect/per-memcg.js";
import type { Finding } from "./finding.js";
import type { Remedy, RebootVerdict } from "./remedy.js";
import type { BootLine } from "./boot-line.js";
import type { Placement } from "../knowledge/kernel-model.js";
import type { SettledDying } from "./debounce.js";
import type { DyingCost } from "./dying-cost.js";

export type Level = "ok" | "warning" | "critical";

/**
 * The document `cgleak scan --json` prints; its fields are described in docs/scan-json.md.
 * Changing a field's meaning means a new `schema` version.
 */
export interface ScanReport {
  schema: "cgleak.scan/v1";
  time: string;
  hostRoot: string;
  kernel: { release: string; cmdline: string | null };
  cgroup: { mode: "v1" | "v2" | "hybrid"; memoryVersion: 1 | 2; mountPoint: string; mountinfo: string };
  memcg: {
    kernelTotal: number;
    totalSource: string;
    live: number;
    dying: number;
    dyingSource: string;
    vanishedDuringWalk: number;
    /** serve only: at most this many have been dying for the whole debounce window (null: not known yet). */
    dyingSettled?: SettledDying | null;
  };
  ids: IdUse;
  dying: {
    count: number;
    /** Page cache and shmem the dying memcgs pin, summed over subtrees; null when unreadable. */
    pinnedBytes: number | null;
    /** The pins by kind: page cache (shmem included), shmem, anon, swap (null where not accounted); null when unknown. */
    pinned?: Charge | null;
    /** Each live memcg below which dying memcgs pin something, at any depth, the largest first. */
    pins?: PinReport[];
    /** memory.stat / cgroup.stat files read to find the pins (0 when nothing is dying). */
    pinReads?: number;
    /** serve: where the pins' pod names come from, or why there are none. */
    podNames?: string;
    /** Kernel memory one dying memcg holds here: the cost model applied to this kernel and its CPUs. */
    kernelBytesEach: number;
    kernelBytes: number;
    /** One line: the model, the kernel series its figures come from, the CPUs and nodes read. */
    costSource: string;
    cost: DyingCost;
  };
  subtrees: SubtreeFacts[];
  /** Live and dying cgroups of every controller, not only memory. */
  controllers?: ControllerFacts[];
  /** serve: each controller's dying count at the previous walk, to tell growth from a level. */
  controllersBefore?: ControllersBefore | null;
  empty: Checked<{ minAgeSeconds: number; count: number; groups: EmptyGroup[] }>;
  kmem: Checked<{ on: number; of: number; podOn: number; podOf: number; examples: string[] }>;
  /** v2 with swap on: at most this many dying memcgs hold an ID through swap entries (src/collect/swap-ids.ts). */
  swapPinnedIds?: { pinnedHigh: number; visited: number; basis: string } | null;
  meminfo: {
    percpuBytes: number | null;
    sUnreclaimBytes: number | null;
    swapTotalBytes: number | null;
    memTotalBytes: number | null;
  };
  thresholds: Thresholds;
  status: { level: Level; sentence: string };
  /** controllersWalkSeconds: reading every other controller's count (walks of small v1 hierarchies). */
  timings: { walkSeconds: number; pinsSeconds?: number; controllersWalkSeconds?: number; scanSeconds: number };
  /** The diagnosis, most severe first (`cgleak explain` prints only this). */
  findings: Finding[];
  /** What to do, decided once with the status and findings (src/analyze/assess.ts). */
  assessment: AssessmentView;
  /** What the diagnosis looked at beyond the scan: runtime versions and logs, or why not. */
  explain: { runtimes: string; logs: string };
}

/** The parts of the assessment beyond status and findings; every command and sink renders these. */
export interface AssessmentView {
  /** The dying count alarms use: the dying memcgs, or those that stayed through serve's debounce. */
  dyingForAlarms: number;
  remedy: Remedy;
  reboot: RebootVerdict;
  risk: Risk;
  kernel: { placement: Placement; measured: string[] };
  boot: BootLine;
}

/** At risk now: at or past the warning mark (certainly or possibly), or the logs show mkdir failing. */
export interface Risk {
  atRiskNow: boolean;
  why: string;
}

/** What collection produces: everything the assessment reads, and nothing it decides. */
export type Snapshot = Omit<ScanReport, "ids" | "status" | "findings" | "assessment" | "explain">;

/** What the dying memcgs below one live memcg (their nearest live ancestor) pin. */
export interface PinReport extends Charge {
  path: string;
  /** The reported subtree it rolls up into. */
  subtree: string;
  /** The Kubernetes pod UID in its path (the live pod of dying containers), or null. */
  podUid: string | null;
  /** serve --trace --kube: the pod the UID names and its owner, from the pod cache (src/kube/pin-owners.ts). */
  pod?: PinPod;
}

/** A pod as the pod cache names it: a ReplicaSet with a pod-template hash is named by its Deployment. */
export interface PinPod {
  namespace: string;
  name: string;
  ownerKind?: string;
  ownerName?: string;
}

/** A per-memcg check: its result, or why it was not run. */
export type Checked<T> = ({ checked: true } & T) | { checked: false; reason: string };

export interface Thresholds {
  /** Share of the ID cap at which the status is WARNING. */
  warn: number;
  /** Share of the ID cap at which the status is CRITICAL. */
  crit: number;
  /** Dying memcgs at which the status is WARNING even when they hold no ID. */
  dyingWarn: number;
}
