import { Counter, Gauge, type Registry } from "prom-client";
import type { ReaperTotals } from "../actions/reap-loop.js";

/**
 * `serve --reap`'s metrics, registered on the daemon's registry only with --reap (without it they
 * would be zeros that look like measurements). Read at render time from the reaper's totals.
 */
export function registerReapMetrics(registry: Registry, totals: () => ReaperTotals): void {
  const counter = (name: string, help: string, value: (t: ReaperTotals) => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value(totals()));
      },
    });
  };
  new Counter({
    name: "cgleak_reap_passes_total",
    help: "Reaper passes since the daemon started, by verdict: acted, on-target, vetoed (PSI pressure), nothing-to-do (only unreclaimable pins left).",
    labelNames: ["verdict"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [verdict, n] of Object.entries(totals().passes)) if (verdict !== "dry-run") this.inc({ verdict }, n);
    },
  });
  counter(
    "cgleak_reap_dying_freed_total",
    "Dying memcgs freed by the reaper's passes (before minus after each pass; v1: kernel-wide count).",
    (t) => t.dyingFreed,
  );
  counter(
    "cgleak_reap_pinned_freed_bytes_total",
    "Page cache pinned by dying memcgs that the reaper's passes freed.",
    (t) => t.pinnedFreed,
  );
  counter(
    "cgleak_reap_live_cache_evicted_bytes_total",
    "Page cache of live cgroups the reaper's passes evicted (below the parents they touched; node-wide for drop_caches).",
    (t) => t.liveCacheEvicted,
  );
  counter(
    "cgleak_reap_live_refaults_total",
    "Refaults (workingset_refault*) of live cgroups below the parents touched, from each pass's start until freeing settled.",
    (t) => t.refaults,
  );
  gauge(
    registry,
    "cgleak_reap_interval_seconds",
    "Seconds between reaper passes now: the policy's interval, doubled after each pass that could free nothing.",
    (t) => t.intervalMs / 1000,
    totals,
  );
  gauge(
    registry,
    "cgleak_reap_last_pass_timestamp_seconds",
    "When the last reaper pass started (Unix time).",
    (t) => (t.last === null ? null : Date.parse(t.last.at) / 1000),
    totals,
  );
  gauge(
    registry,
    "cgleak_reap_dying_freed_per_gib_evicted",
    "The last acting pass's figure of merit: dying memcgs freed per GiB of live page cache evicted (absent when it evicted none).",
    (t) => t.lastActed?.dyingFreedPerGiBEvicted ?? null,
    totals,
  );
  new Gauge({
    name: "cgleak_reap_unreclaimable_bytes",
    help: "Bytes pinned by dying memcgs that reclaim cannot free, at the last pass, by kind: shmem (tmpfs files), root (dying memcgs right below the root).",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      this.reset();
      const u = totals().last?.unreclaimable ?? [];
      this.set(
        { kind: "shmem" },
        u.filter((x) => x.reason.startsWith("tmpfs")).reduce((a, x) => a + (x.bytes ?? 0), 0),
      );
      this.set(
        { kind: "root" },
        u.filter((x) => x.reason.startsWith("dying memcgs directly below")).reduce((a, x) => a + (x.bytes ?? 0), 0),
      );
    },
  });
}

function gauge(
  registry: Registry,
  name: string,
  help: string,
  value: (t: ReaperTotals) => number | null,
  totals: () => ReaperTotals,
): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      const v = value(totals());
      if (v !== null) this.set(v);
    },
  });
}
