import type { Host } from "../host/host.js";
import type { LogSource } from "./scan-logs.js";

/** Where distributions write the logs that carry memcg failures (RHEL/CentOS, Debian/Ubuntu, dockerd's own). */
export const DEFAULT_LOG_FILES = ["/var/log/messages", "/var/log/syslog", "/var/log/kern.log", "/var/log/docker.log"];

/**
 * The sources `cgleak explain` should scan on a host: the usual log files that exist under the
 * host root, then the journal when the host keeps one (persistent or volatile).
 */
export function defaultLogSources(host: Host): LogSource[] {
  const files: LogSource[] = DEFAULT_LOG_FILES.filter((f) => host.exists(f)).map((path) => ({ type: "file", path }));
  const journal = host.exists("/var/log/journal") || host.exists("/run/log/journal");
  return journal ? [...files, { type: "journal" }] : files;
}
