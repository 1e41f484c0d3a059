import { ParseError } from "../host/errors.js";
import type { MemcgFacts } from "../collect/memcg.js";
import type { Rule } from "../knowledge/kernel-model.js";
import { formatCount } from "./format.js";
import { MEMCG_ID_CAP } from "./ids.js";

/**
 * Figures no kernel can produce are errors naming where they were read, never facts: every live
 * memcg holds one of MEM_CGROUP_ID_MAX IDs, and where dying memcgs keep theirs too (3.10, before
 * 4.8) the kernel cannot hold more than that many at all, so mkdir fails first. A reboot decision
 * built on such a figure would rest on a file that is not the kernel's.
 */
export function assertWithinKernelBounds(m: MemcgFacts, holdIds: Rule<boolean>, exactKernel = true): void {
  if (m.live > MEMCG_ID_CAP) {
    throw new ParseError(
      m.mountPoint,
      0,
      `${formatCount(m.live)} memory cgroups is more than the ${formatCount(MEMCG_ID_CAP)} IDs a kernel can give out`,
    );
  }
  // Where the kernel is only judged by its base version, such a total is evidence that the rule
  // does not fit it: the assessment takes the measurement (measured-vs-model), not an error.
  if (exactKernel && holdIds.value === true && m.totalAt !== null && m.kernelTotal > MEMCG_ID_CAP) {
    throw new ParseError(
      m.totalAt.file,
      m.totalAt.line,
      `${formatCount(m.kernelTotal)} memory cgroups is more than this kernel can hold: its dying memcgs keep their IDs, and there are ${formatCount(MEMCG_ID_CAP)}`,
    );
  }
}
