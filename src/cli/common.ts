import { Option } from "commander";

/** How a command ends the process with a code; injected so commands stay testable. */
export type Exit = (code: number) => void;

/** --host-root, shared by every command that reads the host (node_exporter's --path.rootfs). */
export function hostRootOption(): Option {
  return new Option(
    "--host-root <dir>",
    "read the host's /proc and /sys under this directory (e.g. /host in a container)",
  )
    .env("CGLEAK_HOST_ROOT")
    .default("/");
}
