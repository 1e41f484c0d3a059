import * as v8 from "node:v8";

/**
 * V8's young generation starts at 1 MiB per semi-space and doubles, up to 16 MiB, while a program
 * allocates fast; a walk of 10,000 memcgs does, and the daemon then kept 8-32 MiB of young space it
 * needed once every 5 minutes. A growth factor of 1 keeps it at its start size: more scavenges
 * during a walk, each as cheap as what survives it. The flag is read at every resize, so it takes
 * effect in a running isolate (--max-semi-space-size does not: it is read once, at start-up).
 * Measured in `npm run bench -- serve` (docs/deploy.md).
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString("--semi-space-growth-factor=1");
}
