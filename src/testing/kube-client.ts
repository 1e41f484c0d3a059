import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { KubeConfig } from "@kubernetes/client-node";

/** Why the Kubernetes contract tests skip: @kubernetes/client-node must load on this Node (2.x needs Node 22). */
export function kubeClientSkip(): string | false {
  const probe = spawnSync(process.execPath, ["--input-type=module", "-e", 'await import("@kubernetes/client-node")'], {
    encoding: "utf8",
    cwd: fileURLToPath(new URL(".", import.meta.url)),
  });
  if (probe.status === 0) return false;
  return `@kubernetes/client-node does not load on Node ${process.versions.node} (${/TypeError[^\n]*/.exec(probe.stderr)?.[0] ?? "import failed"}): pin @kubernetes/client-node@^1.4.0`;
}

/** A kubeconfig for the fake API server on a loopback port, with a bearer token the test can look for. */
export async function loopbackKubeConfig(port: number, token = "test-token"): Promise<KubeConfig> {
  const k8s = await import("@kubernetes/client-node");
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "loop", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "sa", token }],
    contexts: [{ name: "loop", cluster: "loop", user: "sa" }],
    currentContext: "loop",
  });
  return kc;
}
