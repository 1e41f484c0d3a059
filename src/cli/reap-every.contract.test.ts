import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { CLI, fixtureRoot } from "../testing/fixtures.js";
import { FakeApiServer } from "../testing/fake-apiserver.js";
import { waitFor } from "../testing/serve.js";

// The deploy's writer container: `reap --every --kube` posts its Events itself (the server that
// listens does not reap). On this fixture every pin left is below the root, so each pass is
// nothing-to-do, which is an Event even in a dry run.
const NODE = "worker-9";

test("contract: reap --every --kube posts an Event on its node for a pass that found only unreclaimable pins", async () => {
  const api = new FakeApiServer(NODE);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-reapevery-"));
  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "loop",
      clusters: [
        {
          name: "loop",
          cluster: { server: `http://127.0.0.1:${await api.listen()}`, "insecure-skip-tls-verify": true },
        },
      ],
      users: [{ name: "sa", user: { token: "writer-token" } }],
      contexts: [{ name: "loop", context: { cluster: "loop", user: "sa" } }],
    }),
  );
  const args = [
    "reap",
    "--every",
    "300ms",
    "--dry-run",
    "--target-dying",
    "0",
    "--kube",
    "--status-file",
    path.join(dir, "s.json"),
    "--host-root",
    fixtureRoot("run-scope-leak"),
  ];
  const p = spawn(process.execPath, [CLI, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NODE_NAME: NODE, KUBECONFIG: kubeconfig },
  });
  let stderr = "";
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
  try {
    const post = await waitFor("an Event", 20_000, async () => api.seen.find((s) => s.method === "POST")).catch(
      (err: Error) => assert.fail(`${err.message}; the writer said: ${stderr}`),
    );
    assert.equal(post.path, "/api/v1/namespaces/default/events");
    assert.equal(post.auth, "Bearer writer-token");
    const body = post.body as { reason: string; involvedObject: { name: string } };
    assert.equal(body.reason, "MemcgReapUnreclaimable");
    assert.equal(body.involvedObject.name, NODE);
  } finally {
    p.kill("SIGTERM");
    assert.equal(await exited, 0, stderr);
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
