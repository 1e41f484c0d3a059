import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KubeSink } from "../kube/sink.js";

/** A start-up mistake the user must fix: one line on stderr, exit 2. */
export class StartupError extends Error {}

const SA_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/**
 * Where the cluster's config comes from, as kubectl finds it. @kubernetes/client-node falls back to
 * http://localhost:8080 when it finds nothing, which would only fail later, once per retry: here
 * that is a start-up error instead.
 */
export function kubeConfigSource(env: NodeJS.ProcessEnv = process.env): string {
  const files = (env.KUBECONFIG ?? "").split(path.delimiter).filter((f) => f !== "");
  if (files.length > 0) {
    const missing = files.find((f) => !fs.existsSync(f));
    if (missing !== undefined) throw new StartupError(`--kube: KUBECONFIG names ${missing}, which does not exist`);
    return `KUBECONFIG ${files.join(path.delimiter)}`;
  }
  const home = path.join(env.HOME ?? os.homedir(), ".kube", "config");
  if (fs.existsSync(home)) return home;
  if (fs.existsSync(SA_TOKEN) && env.KUBERNETES_SERVICE_HOST) return "the in-cluster service account";
  throw new StartupError("--kube: no Kubernetes config: run in a pod with a service account, or set KUBECONFIG");
}

/** The sink for `serve --kube`, or a StartupError naming what is missing. */
export async function openKubeSink(
  taintAt: "warning" | "critical" | null,
  log: (line: string) => void,
): Promise<{ sink: KubeSink; node: string; source: string }> {
  const { nodeNameFromEnv, createKubeSink } = await import("../kube/client.js");
  let node: string;
  try {
    node = nodeNameFromEnv();
  } catch (err) {
    throw new StartupError(`--kube: ${(err as Error).message}`);
  }
  const source = kubeConfigSource();
  const k8s = await import("@kubernetes/client-node");
  const config = new k8s.KubeConfig();
  try {
    config.loadFromDefault();
    if (config.getCurrentCluster() === null) throw new Error("it names no current cluster");
  } catch (err) {
    throw new StartupError(
      `--kube: cannot load the Kubernetes config from ${source}: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  const sink = await createKubeSink({ taintAt, nodeName: node, config, log });
  return { sink, node, source };
}
