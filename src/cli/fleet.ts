import type { Command } from "commander";
import type { Exit } from "./common.js";

interface FleetFlags {
  prometheus: string;
  json?: boolean;
}

export function register(program: Command, exit: Exit): void {
  program
    .command("fleet")
    .description("rank the cluster's nodes by memcg ID headroom and time to the cap, from Prometheus")
    .requiredOption("--prometheus <url>", "Prometheus base URL, e.g. http://prometheus.monitoring:9090")
    .option("--json", "print the rows as JSON (schema cgleak.fleet/v1)")
    .action(async (f: FleetFlags) => {
      const { fleet } = await import("../fleet/fleet.js");
      const r = await fleet(f.prometheus);
      if ("error" in r) {
        process.stderr.write(`cgleak: ${r.error}\n`);
        exit(1);
        return;
      }
      const { renderFleet } = await import("../fleet/render.js");
      process.stdout.write(
        f.json
          ? JSON.stringify({ schema: "cgleak.fleet/v1", prometheus: f.prometheus, nodes: r.rows }, null, 2) + "\n"
          : renderFleet(r.rows, f.prometheus),
      );
    });
}
