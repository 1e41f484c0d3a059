import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";

/** One request as the fake API server saw it. */
export interface Seen {
  method: string;
  path: string;
  contentType: string;
  auth: string;
  body: unknown;
  at: number;
}

type Node = {
  metadata: { name: string; uid: string; resourceVersion: string };
  spec: { taints?: unknown[] };
  status: { conditions: Array<Record<string, unknown>> };
};

/**
 * A loopback stand-in for the Kubernetes API server, for the contract tests: it serves one Node,
 * applies the patch types the real server applies for these paths, and records every request so
 * the test can check method, path, content type and body. No API server runs on these machines.
 */
export class FakeApiServer {
  readonly seen: Seen[] = [];
  readonly node: Node;
  /** Pods of the cluster: GET /api/v1/pods lists them (fieldSelector spec.nodeName=X filters), a watch stays open. */
  readonly pods: Array<{ metadata: Record<string, unknown>; spec?: { nodeName?: string } }> = [];
  /** Runs before a JSON patch is applied: lets a test change the node "concurrently". */
  beforeJsonPatch: ((n: Node) => void) | null = null;
  private server = http.createServer((req, res) => void this.handle(req, res));

  constructor(name: string, taints?: unknown[]) {
    this.node = {
      metadata: { name, uid: "0f6b1c9e-1111-4222-8333-444455556666", resourceVersion: "100" },
      spec: taints === undefined ? {} : { taints },
      status: {
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "KubeletReady",
            message: "kubelet is posting ready status",
            lastHeartbeatTime: "2024-01-01T00:00:00Z",
            lastTransitionTime: "2024-01-01T00:00:00Z",
          },
        ],
      },
    };
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => this.server.once("error", reject).listen(port, "127.0.0.1", resolve));
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const s: Seen = {
      method: req.method ?? "",
      path: req.url ?? "",
      contentType: req.headers["content-type"] ?? "",
      auth: req.headers.authorization ?? "",
      body: raw ? JSON.parse(raw) : null,
      at: Date.now(),
    };
    this.seen.push(s);
    if (s.method === "GET" && s.path.startsWith("/api/v1/pods?")) return this.listPods(s, res);
    const base = `/api/v1/nodes/${this.node.metadata.name}`;
    const [code, out] =
      s.method === "GET" && s.path === base
        ? [200, this.node]
        : s.method === "PATCH" && s.path === `${base}/status`
          ? this.strategic(s)
          : s.method === "PATCH" && s.path === base
            ? this.jsonPatch(s)
            : s.method === "POST" && s.path === "/api/v1/namespaces/default/events"
              ? [201, s.body]
              : [404, status(404, "NotFound", `${s.method} ${s.path}`)];
    res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(out));
  }

  /** A list at resourceVersion 10, or a watch from it that sends nothing and stays open until close(). */
  private listPods(s: Seen, res: http.ServerResponse): void {
    const q = new URL(s.path, "http://x").searchParams;
    const node = /^spec\.nodeName=(.+)$/.exec(q.get("fieldSelector") ?? "")?.[1];
    res.writeHead(200, { "content-type": "application/json" });
    if (q.get("watch") === "true") return void res.flushHeaders();
    const items = this.pods.filter((p) => node === undefined || p.spec?.nodeName === node);
    res.end(JSON.stringify({ kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "10" }, items }));
  }

  private bump(): void {
    this.node.metadata.resourceVersion = String(Number(this.node.metadata.resourceVersion) + 1);
  }

  /** Node status conditions: patchMergeKey "type", patchStrategy "merge" (k8s.io/api core/v1). */
  private strategic(s: Seen): [number, unknown] {
    if (s.contentType !== "application/strategic-merge-patch+json")
      return [415, status(415, "UnsupportedMediaType", s.contentType)];
    const conds = (s.body as { status?: { conditions?: Array<Record<string, unknown>> } }).status?.conditions ?? [];
    for (const c of conds) {
      const i = this.node.status.conditions.findIndex((x) => x.type === c.type);
      if (i < 0) this.node.status.conditions.push(c);
      else this.node.status.conditions[i] = { ...this.node.status.conditions[i], ...c };
    }
    this.bump();
    return [200, this.node];
  }

  /** RFC 6902 on the node, enough for test/add/remove/replace; a failed test is 422 as on the server. */
  private jsonPatch(s: Seen): [number, unknown] {
    if (s.contentType !== "application/json-patch+json")
      return [415, status(415, "UnsupportedMediaType", s.contentType)];
    this.beforeJsonPatch?.(this.node);
    this.beforeJsonPatch = null;
    const doc = JSON.parse(JSON.stringify(this.node)) as Record<string, unknown>;
    for (const op of s.body as Array<{ op: string; path: string; value?: unknown }>) {
      const keys = op.path.split("/").slice(1);
      const last = keys.pop() as string;
      const parent = keys.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc) as
        Record<string, unknown> | unknown[] | undefined;
      if (parent === undefined) return [422, status(422, "Invalid", `path ${op.path} not found`)];
      // Compared as values, key order aside, as the API server's json-patch library does.
      if (op.op === "test" && !isDeepStrictEqual((parent as Record<string, unknown>)[last], op.value))
        return [422, status(422, "Invalid", `test failed at ${op.path}`)];
      if (op.op === "add" && Array.isArray(parent))
        parent.splice(last === "-" ? parent.length : Number(last), 0, op.value);
      else if (op.op === "add" || op.op === "replace") (parent as Record<string, unknown>)[last] = op.value;
      if (op.op === "remove") Array.isArray(parent) ? parent.splice(Number(last), 1) : delete parent[last];
    }
    Object.assign(this.node, doc);
    this.bump();
    return [200, this.node];
  }
}

function status(code: number, reason: string, message: string): object {
  return { kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code };
}
