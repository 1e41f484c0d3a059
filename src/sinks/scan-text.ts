import type { PinPod, ScanReport } from "../analyze/report.js";
import { formatBytes, formatCount, formatPercent } from "../analyze/format.js";
import { renderFindings } from "./findings-text.js";
import { escapeControls, escapeName } from "./terminal.js";

const TOP_SUBTREES = 8;
const PATH_WIDTH = 44;

/** The short report a person reads: status and sentence first, then the numbers behind them. */
export function renderScanText(r: ScanReport): string {
  const out: string[] = [];
  out.push(`${r.status.level.toUpperCase()}: ${r.status.sentence}`);
  if (r.assessment.remedy.action !== "none") out.push(`what to do: ${r.assessment.remedy.sentence}`);
  out.push("");
  out.push(
    `kernel        ${r.kernel.release}, cgroup ${r.cgroup.mode} (memory on v${r.cgroup.memoryVersion} at ${r.cgroup.mountPoint})`,
  );
  out.push(
    `memcgs        ${formatCount(r.memcg.live)} live + ${formatCount(r.memcg.dying)} dying = ${formatCount(r.memcg.kernelTotal)} in the kernel (${r.memcg.totalSource})`,
  );
  const used =
    r.ids.usedLow === r.ids.usedHigh
      ? formatCount(r.ids.usedHigh)
      : `${formatCount(r.ids.usedLow)}-${formatCount(r.ids.usedHigh)}`;
  out.push(
    `ID cap        ${used} of ${formatCount(r.ids.cap)} used (${formatPercent(r.ids.usedRatio)}), headroom ${formatCount(r.ids.headroom)}: ${r.ids.basis}`,
  );
  const pinned = r.dying.pinnedBytes === null ? "unknown" : formatBytes(r.dying.pinnedBytes);
  const c = r.dying.cost;
  out.push(
    `dying cost    ~${formatBytes(r.dying.kernelBytes)} kernel memory (${formatBytes(r.dying.kernelBytesEach)} each = ${c.formula}, kernel ${c.series} fit${c.caveats.length > 0 ? "; " + c.caveats.join("; ") : ""}) + ${pinned} pinned page cache`,
  );
  const kinds = pinnedKinds(r);
  if (kinds !== "") out.push(`pinned by     ${kinds}`);
  if (r.meminfo.percpuBytes !== null && r.meminfo.sUnreclaimBytes !== null) {
    out.push(
      `meminfo       Percpu ${formatBytes(r.meminfo.percpuBytes)}, SUnreclaim ${formatBytes(r.meminfo.sUnreclaimBytes)}`,
    );
  }
  out.push(
    `empty cgroups ${r.empty.checked ? `${formatCount(r.empty.count)} older than ${r.empty.minAgeSeconds} s${groups(r.empty.groups)}` : r.empty.reason}`,
  );
  out.push(
    `kmem on       ${r.kmem.checked ? `${formatCount(r.kmem.on)} of ${formatCount(r.kmem.of)} memcgs${r.kmem.examples.length ? ` (e.g. ${r.kmem.examples[0]})` : ""}` : r.kmem.reason}`,
  );
  if (r.memcg.vanishedDuringWalk > 0)
    out.push(`note          ${r.memcg.vanishedDuringWalk} cgroups vanished during the walk (normal on a busy node)`);
  out.push("", `${"top subtrees".padEnd(PATH_WIDTH + 2)}    live   dying     pinned`);
  for (const s of r.subtrees.slice(0, TOP_SUBTREES)) {
    const dying = s.dying === null ? "-" : formatCount(s.dying);
    const pin = s.pinnedBytes === null ? "-" : formatBytes(s.pinnedBytes);
    out.push(
      `  ${fit(s.path, PATH_WIDTH).padEnd(PATH_WIDTH)} ${formatCount(s.live).padStart(7)} ${dying.padStart(7)} ${pin.padStart(10)}`,
    );
  }
  if (r.subtrees.length > TOP_SUBTREES) out.push(`  ... ${r.subtrees.length - TOP_SUBTREES} more (--json lists all)`);
  out.push(...pinLines(r), ...controllerLines(r));
  out.push("", "diagnosis", ...escapeControls(renderFindings(r.findings, false).trimEnd()).split("\n"));
  out.push(
    "",
    `scanned in ${(r.timings.scanSeconds * 1000).toFixed(0)} ms (walk ${(r.timings.walkSeconds * 1000).toFixed(0)} ms)`,
  );
  // Names come from the host: each line is one line, whatever a cgroup is called.
  return out.map((l) => escapeName(l)).join("\n") + "\n";
}

/** The pins by kind, when any: page cache includes shmem, as the kernel counts it. */
function pinnedKinds(r: ScanReport): string {
  const p = r.dying.pinned;
  if (p === null || p === undefined || (p.fileBytes === 0 && p.anonBytes === 0 && !p.swapBytes)) return "";
  const swap = p.swapBytes === null ? "swap not accounted" : `${formatBytes(p.swapBytes)} swap`;
  return `${formatBytes(p.fileBytes)} page cache (${formatBytes(p.shmemBytes)} of it shmem/tmpfs), ${formatBytes(p.anonBytes)} anon, ${swap}`;
}

/** Where the pins are, by nearest live memcg (the pod of dying containers). */
function pinLines(r: ScanReport): string[] {
  const pins = r.dying.pins ?? [];
  if (pins.length === 0) return [];
  const out = ["", `${"pinned below (nearest live memcg)".padEnd(PATH_WIDTH + 2)}      cache      shmem       anon`];
  for (const p of pins.slice(0, TOP_SUBTREES)) {
    const path = p.path === "" ? "/" : p.path;
    out.push(
      `  ${fit(path, PATH_WIDTH).padEnd(PATH_WIDTH)} ${formatBytes(p.fileBytes).padStart(10)} ${formatBytes(p.shmemBytes).padStart(10)} ${formatBytes(p.anonBytes).padStart(10)}`,
    );
    if (p.pod !== undefined) out.push(`    pod ${podText(p.pod)}`);
  }
  if (pins.length > TOP_SUBTREES) out.push(`  ... ${pins.length - TOP_SUBTREES} more (--json lists all)`);
  if (r.dying.podNames !== undefined) out.push(`  ${r.dying.podNames}`);
  return out;
}

/** "shop/web-5d9c7b6f8-x2x4q (Deployment web)": the pod, then who made it. */
export function podText(p: PinPod): string {
  const owner = p.ownerKind === undefined ? "" : ` (${p.ownerKind} ${p.ownerName ?? "?"})`;
  return `${p.namespace}/${p.name}${owner}`;
}

/** Dying cgroups per controller: what a removed cgroup leaves beyond memory. */
function controllerLines(r: ScanReport): string[] {
  const cs = r.controllers ?? [];
  if (cs.length === 0) return [];
  const out = ["", `${"controller".padEnd(14)}    live   dying  (kernel total; how)`];
  for (const c of cs) {
    const n = (x: number | null): string => (x === null ? "-" : formatCount(x));
    const how = c.dying === null ? c.source : `${n(c.kernelTotal)}; ${c.source}`;
    out.push(`  ${c.name.padEnd(14)} ${n(c.live).padStart(7)} ${n(c.dying).padStart(7)}  v${c.version}: ${how}`);
  }
  return out;
}

function groups(g: Array<{ shape: string; count: number }>): string {
  if (g.length === 0) return "";
  return `; largest: ${g
    .slice(0, 3)
    .map((x) => `${formatCount(x.count)} × ${x.shape}`)
    .join(", ")}`;
}

/** Long pod paths keep their start and their end, where the QoS class and the pod ID are. */
function fit(s: string, width: number): string {
  if (s.length <= width) return s;
  const head = Math.floor((width - 1) / 2);
  return `${s.slice(0, head)}…${s.slice(s.length - (width - 1 - head))}`;
}
