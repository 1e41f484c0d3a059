import type { ScanReport } from "./report.js";
import type { KernelModel } from "../knowledge/kernel-model.js";
import type { RuntimeVerdict } from "../knowledge/runtime-facts.js";
import type { LogReport } from "../logs/scan-logs.js";
import { rankFindings, type Finding } from "./finding.js";
import { kmemForkFinding } from "./findings/kmem-fork.js";
import { idCapFinding } from "./findings/id-cap.js";
import { dyingPinnedFinding } from "./findings/dying-pinned.js";
import { emptyCgroupsFinding } from "./findings/empty-cgroups.js";
import { kmemLimitGoneFinding, unknownKernelFinding } from "./findings/kernel.js";
import { logSignatureFinding } from "./findings/log-signature.js";
import { dyingWorkloadsFinding, type NamedDying } from "./findings/dying-workloads.js";
import { dyingHoldIdsFinding } from "./findings/dying-hold-ids.js";
import { swapIdsFinding } from "./findings/swap-ids.js";
import { bootLineFinding, kernelPlacementFinding, measuredVsModelFinding } from "./findings/model.js";
import { dyingControllersFinding } from "./findings/dying-controllers.js";

/** What the diagnosis rests on. Runtime versions and logs are optional: null means not looked at. */
export interface DiagnosisInput {
  /** The snapshot with the numbers' status and the assessment's remedy (findings come last). */
  report: Omit<ScanReport, "findings" | "explain">;
  model: KernelModel;
  runtimes: RuntimeVerdict[] | null;
  logs: LogReport | null;
  /** The dying set `serve --trace` named (explain reads it from the store); absent: not traced. */
  dying?: NamedDying | null;
}

/** Every rule, in the order a person should read their findings when severities tie. */
const RULES: Array<(d: DiagnosisInput) => Finding | null> = [
  logSignatureFinding,
  kmemForkFinding,
  dyingHoldIdsFinding,
  idCapFinding,
  swapIdsFinding,
  measuredVsModelFinding,
  dyingPinnedFinding,
  dyingWorkloadsFinding,
  dyingControllersFinding,
  emptyCgroupsFinding,
  kmemLimitGoneFinding,
  unknownKernelFinding,
  kernelPlacementFinding,
  bootLineFinding,
];

/** The ranked findings for a node. Pure: the same input gives the same findings. */
export function diagnose(d: DiagnosisInput): Finding[] {
  return rankFindings(RULES.map((rule) => rule(d)).filter((f): f is Finding => f !== null));
}
