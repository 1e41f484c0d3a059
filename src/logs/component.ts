/** Who logged a line: the syslog/journal tag, else a guess from the message's wording. */

const SYSLOG_TAG =
  /^(?:[A-Z][a-z]{2}\s+\d{1,2}\s+[\d:]{8}|\d{4}-\d\d-\d\d[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)\s+\S+\s+([^\s[:]+)(?:\[\d+\])?:/;
const TAGS: Record<string, string> = {
  docker: "dockerd",
  dockerd: "dockerd",
  containerd: "containerd",
  crio: "crio",
  "cri-o": "crio",
  kubelet: "kubelet",
  hyperkube: "kubelet",
  kubelite: "kubelet",
  runc: "runc",
  crun: "crun",
  systemd: "systemd",
  kernel: "kernel",
  nomad: "nomad",
  podman: "podman",
  conmon: "podman",
  lxd: "lxd",
  "lxc-start": "lxc",
};
// Most specific first: a nomad line quoting runc's error is nomad's.
const GUESSES: ReadonlyArray<[RegExp, string]> = [
  [
    /FailedCreatePodContainer|unable to ensure pod container|pod_container_manager|failed to create container for \[kubepods|kubelet/i,
    "kubelet",
  ],
  [/\bnomad\b|client\.driver_mgr|failed to launch command with executor/i, "nomad"],
  [/\bpodman\b|libpod|conmon/i, "podman"],
  [/Handler for POST|dockerd|Error response from daemon/i, "dockerd"],
  [/containerd/i, "containerd"],
  [/\bcri-?o\b/i, "crio"],
  [/SLUB:|\bkernel:|^\s*cache:/, "kernel"],
  [/\bcrun\b|creating cgroup directory/i, "crun"],
  [/container_linux\.go|process_linux\.go|\brunc\b/i, "runc"],
  [/\blx[cd]\b|\blxc[-_]|cgfsng|mkdir_p/i, "lxc"],
  [/Failed to create cgroup/, "systemd"],
  [/^mkdir(?::|\()/, "shell"],
];

/** The component that logged a line: its syslog/journal tag, else a guess from the message. */
export function componentOf(line: string): string {
  const tag = SYSLOG_TAG.exec(line)?.[1];
  if (tag) return TAGS[tag.toLowerCase()] ?? tag;
  return GUESSES.find(([re]) => re.test(line))?.[1] ?? "unknown";
}
