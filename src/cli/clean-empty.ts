import type { Command } from "commander";
import { Host } from "../host/host.js";
import { formatCount } from "../analyze/format.js";
import { escapeName } from "../sinks/terminal.js";
import { hostRootOption, type Exit } from "./common.js";
import { durationArg } from "./options.js";
import { formatHours } from "./simulate.js";

interface Flags {
  hostRoot: string;
  minAge: number;
  match?: string;
  apply?: boolean;
  json?: boolean;
}

export function register(program: Command, exit: Exit): void {
  program
    .command("clean-empty")
    .description("list (and with --apply remove) leaked empty cgroup directories in every hierarchy")
    .option("--min-age <duration>", "only directories older than this (their mtime)", durationArg, 600_000)
    .option(
      "--match <glob>",
      "only paths below the hierarchy root matching this, e.g. 'system.slice/run-*.scope' (** crosses /)",
    )
    .option("--apply", "remove them: deepest first, one non-recursive rmdir each")
    .option("--json", "print the list (and the result) as JSON")
    .addOption(hostRootOption())
    .action(async (f: Flags) => {
      const { findEmptyCgroups, removeEmptyCgroups } = await import("../actions/clean-empty.js");
      const host = new Host(f.hostRoot);
      const list = findEmptyCgroups(host, {
        minAgeMs: f.minAge,
        now: Date.now(),
        ...(f.match === undefined ? {} : { match: f.match }),
      });
      const result = f.apply ? removeEmptyCgroups(host, list) : undefined;
      if (f.json) return void process.stdout.write(JSON.stringify({ empty: list, ...(result ?? {}) }, null, 2) + "\n");
      const lines = list.map((c) => `${c.mountPoint}/${c.rel}  (${formatHours(c.ageMs / 3_600_000)} old)`);
      lines.push(
        `${formatCount(list.length)} empty cgroup directories${f.match ? ` matching ${f.match}` : ""}, older than ${formatHours(f.minAge / 3_600_000)}`,
      );
      if (result === undefined) lines.push(list.length > 0 ? "nothing removed: pass --apply to remove them" : "");
      else {
        lines.push(`removed ${formatCount(result.removed.length)}`);
        for (const x of result.failed)
          lines.push(
            `could not remove ${x.mountPoint}/${x.rel}: ${x.error}${x.error === "EBUSY" ? " (it gained a process or a child)" : ""}`,
          );
        if (result.failed.length > 0) exit(1);
      }
      process.stdout.write(
        lines
          .filter((l) => l !== "")
          .map(escapeName)
          .join("\n") + "\n",
      );
    });
}
