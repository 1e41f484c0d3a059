import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { status, forecastDoc, history, BadRequest, type ApiContext } from "./api.js";
import { serveWeb } from "../web/serve-web.js";
import { BadRequestLog, hostAllowed, SECURITY_HEADERS } from "./guard.js";

export interface Renderer {
  render(): Promise<Buffer>;
  contentType: string;
}

/** The daemon's HTTP face. Every answer comes from memory (or the database for history): no walk. */
export function createServer(c: ApiContext, metrics: Renderer): http.Server {
  const bad = new BadRequestLog(c.log);
  const names = new Set((c.allowedHosts ?? []).map((h) => h.toLowerCase()));
  return http.createServer((req, res) => {
    route(c, metrics, names, bad, req, res).catch((err: unknown) => {
      c.log(`${req.method} ${(req.url ?? "").slice(0, 120)}: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, "text/plain", "internal error\n");
    });
  });
}

async function route(
  c: ApiContext,
  metrics: Renderer,
  names: ReadonlySet<string>,
  bad: BadRequestLog,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const refuse = (code: number, why: string, extra: Record<string, string> = {}): void => {
    bad.note(req, code, why);
    send(res, code, "application/json", JSON.stringify({ error: why }) + "\n", extra);
  };
  if (req.method !== "GET" && req.method !== "HEAD") return refuse(405, "only GET and HEAD", { allow: "GET, HEAD" });
  // The hot path (a scrape) skips URL parsing: Prometheus asks for exactly /metrics.
  if (req.url === "/metrics") return send(res, 200, metrics.contentType, await metrics.render());
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://x");
  } catch {
    return refuse(400, "not a request path");
  }
  if (url.pathname === "/metrics") return send(res, 200, metrics.contentType, await metrics.render());
  // Liveness for a probe that cannot authenticate (behind kube-rbac-proxy's --ignore-paths): says nothing of the node.
  if (url.pathname === "/healthz") return send(res, 200, "text/plain", "ok\n");
  if (!hostAllowed(req.headers.host, names))
    return refuse(
      421,
      "this Host is not served here: use an IP address, localhost, or a name given with --allowed-host",
    );
  const json = (v: unknown): void => send(res, 200, "application/json", JSON.stringify(v) + "\n");
  // The page at / and its static files (src/web/); everything it shows comes from /api/*.
  const page = await serveWeb(url.pathname);
  if (page) return send(res, 200, page.type, page.body);
  try {
    switch (url.pathname) {
      case "/api/status":
        return json(status(c));
      case "/api/forecast":
        return json(forecastDoc(c));
      case "/api/reap":
        return json(c.reap?.() ?? { schema: "cgleak.reap/v1", enabled: false });
      case "/api/dying":
        if (!c.trace)
          return send(
            res,
            404,
            "application/json",
            JSON.stringify({ error: "dying memcgs are named only with `cgleak serve --trace` (root)" }) + "\n",
          );
        // The kernel's count is the last walk's: "dying since before tracing" is as fresh as the walk.
        return json(c.trace.doc(c.latest()?.report?.memcg.dying ?? null));
      case "/api/history":
        return send(
          res,
          200,
          "application/json",
          await history(c, url.searchParams.get("since"), url.searchParams.get("points")),
        );
      default:
        return refuse(404, "not found; see /");
    }
  } catch (err) {
    if (err instanceof BadRequest) return refuse(400, err.message);
    throw err;
  }
}

function send(
  res: http.ServerResponse,
  code: number,
  type: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
): void {
  res.writeHead(code, {
    ...SECURITY_HEADERS,
    ...extra,
    "content-type": type,
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** Listens on host:port; resolves with the bound address (port 0 picks a free one). */
export function listen(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}
