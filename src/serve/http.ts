import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { status, forecastDoc, history, BadRequest, type ApiContext } from "./api.js";
import { serveWeb } from "../web/serve-web.js";

export interface Renderer { render(): Promise<Buffer>; contentType: string }

/** The daemon's HTTP face. Every answer comes from memory (or the database for history): no walk. */
export function createServer(c: ApiContext, metrics: Renderer): http.Server {
  return http.createServer((req, res) => {
    route(c, metrics, req, res).catch((err: unknown) => {
      c.log(`${req.url}: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, "text/plain", "internal error\n");
    });
  });
}

async function route(c: ApiContext, metrics: Renderer, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "only GET\n");
  // The hot path (a scrape) skips URL parsing: Prometheus asks for exactly /metrics.
  if (req.url === "/metrics") return send(res, 200, metrics.contentType, await metrics.render());
  const url = new URL(req.url ?? "/", "http://x");
  const json = (v: unknown): void => send(res, 200, "application/json", JSON.stringify(v) + "\n");
  // The page at / and its static files (src/web/); everything it shows comes from /api/*.
  const page = await serveWeb(url.pathname);
  if (page) return send(res, 200, page.type, page.body);
  switch (url.pathname) {
    case "/metrics": return send(res, 200, metrics.contentType, await metrics.render());
    case "/api/status": return json(status(c));
    case "/api/forecast": return json(forecastDoc(c));
    case "/api/dying":
      if (!c.trace) return send(res, 404, "application/json", JSON.stringify({ error: "dying memcgs are named only with `cgleak serve --trace` (root)" }) + "\n");
      // The kernel's count is the last walk's: "dying since before tracing" is as fresh as the walk.
      return json(c.trace.doc(c.sampler.report?.memcg.dying ?? null));
    case "/api/history":
      try {
        return json(history(c, url.searchParams.get("since")));
      } catch (err) {
        if (err instanceof BadRequest) return send(res, 400, "application/json", JSON.stringify({ error: err.message }) + "\n");
        throw err;
      }
    default: return send(res, 404, "text/plain", "not found; see /\n");
  }
}

function send(res: http.ServerResponse, code: number, type: string, body: string | Buffer): void {
  res.writeHead(code, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Listens on host:port; resolves with the bound address (port 0 picks a free one). */
export function listen(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}
