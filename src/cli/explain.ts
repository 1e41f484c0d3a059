import type { Command } from "commander";
import { Host } from "../host/host.js";
import { addScanOptions, scanOptions, type ScanFlags } from "./scan.js";
import { renderExplainText } from "../sinks/explain-text.js";
import type { Exit } from "./common.js";
import { durationArg } from "./options.js";
import type { ToolVersion } from "../parsers/runtime-version.js";

interface ExplainFlags extends ScanFlags {
  json?: boolean;
  logs?: string[];
  noLogs?: boolean;
  journal?: boolean;
  since?: number;
  db?: string;
  execVersions?: boolean;
  kube?: boolean;
}

/** `cgleak explain`: only the diagnosis, with its evidence and fixes. */
export function register(program: Command, _exit: Exit): void {
  addScanOptions(
    program.command("explain").description("why this node leaks memory cgroups, with the evidence and the fix"),
  )
    .option("--json", "print the findings as JSON")
    .option("--logs <file...>", "log files to read instead of the host's usual ones (/var/log/messages, syslog, ...)")
    .option("--journal", "also read the systemd journal")
    .option("--no-logs", "read no logs")
    .option("--since <duration>", "only log lines newer than this (e.g. 24h)", durationArg)
    .option(
      "--exec-versions",
      "also run runtime binaries whose version cannot be read from their files (as nobody, no network, 5 s timeout); off: nothing from the host is ever run",
    )
    .option(
      "--kube",
      "also read this node's kubelet and container runtime versions from its Node object (NODE_NAME or the host name; KUBECONFIG or in-cluster)",
    )
    .option(
      "--db <path>",
      "the store cgleak serve --trace keeps its named dying memcgs in (default /var/lib/cgleak/cgleak.db)",
    )
    .action(async (f: ExplainFlags & { logs?: string[] | false }) => {
      const { runExplain } = await import("../explain.js");
      const host = new Host(f.hostRoot);
      const logs = f.logs === false ? [] : f.logs?.map((path) => ({ type: "file" as const, path }));
      const withJournal = logs !== undefined && f.journal ? [...logs, { type: "journal" as const }] : logs;
      const report = await runExplain(host, {
        scan: scanOptions(f),
        overrides: f.versions ?? [],
        ...(f.execVersions ? { execVersions: true } : {}),
        ...(f.kube ? { nodeInfo: await nodeVersions() } : {}),
        ...(withJournal !== undefined ? { logs: withJournal } : {}),
        ...(f.since !== undefined ? { since: new Date(Date.now() - f.since) } : {}),
        ...(f.db !== undefined ? { db: f.db } : {}),
      });
      const doc = {
        status: report.status,
        assessment: report.assessment,
        findings: report.findings,
        explain: report.explain,
      };
      process.stdout.write(f.json ? JSON.stringify(doc, null, 2) + "\n" : renderExplainText(report));
    });
}

/** The node object's versions; a cluster that cannot be reached is one line on stderr, not the end of the diagnosis. */
async function nodeVersions(): Promise<ToolVersion[]> {
  const { readNodeVersions, thisNodeName } = await import("../kube/node-info.js");
  const { kubeConfigSource } = await import("../serve/kube-start.js");
  const node = thisNodeName();
  try {
    kubeConfigSource();
    return await readNodeVersions(node);
  } catch (err) {
    process.stderr.write(
      `cgleak explain: --kube: cannot read Node ${node}: ${(err as Error).message.split("\n")[0]}; going on without it\n`,
    );
    return [];
  }
}
