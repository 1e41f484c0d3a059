/**
 * deploy/systemd/: the units are valid for systemd, and the container unit's own ExecStartPre,
 * ExecStart and ExecStop lines, run for real with podman, serve the page and the API; the README's
 * one-off `run ... IMAGE scan` reads the host. Needs root and podman (builds the image when CI has not).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { REPO } from "./pod-run.js";
import { unitCommands } from "./systemd-unit.js";
import {
  ensureImage,
  freePort,
  IMAGE,
  needsPodmanRoot,
  PODMAN_BASE,
  podman,
  removeLibpodParents,
  RUN_BASE,
} from "../testing/podman.js";

const UNITS = path.join(REPO, "deploy/systemd");
const CONTAINER_UNIT = path.join(UNITS, "cgleak-container.service");
const skip = needsPodmanRoot();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-unit-"));

after(() => {
  podman(["rm", "-f", "-t", "0", "cgleak"]);
  removeLibpodParents();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const noAnalyze = spawnSync("sh", ["-c", "command -v systemd-analyze"]).status === 0 ? false : "needs systemd-analyze";

test("systemd: both units pass systemd-analyze verify", { skip: noAnalyze }, () => {
  // verify checks that ExecStart's binary exists: the Node unit's /usr/local/bin/cgleak is this build's bin.
  const node = path.join(scratch, "cgleak.service");
  const bin = path.join(REPO, "dist/cli/cgleak.cjs");
  fs.writeFileSync(
    node,
    fs.readFileSync(path.join(UNITS, "cgleak.service"), "utf8").replaceAll("/usr/local/bin/cgleak", bin),
  );
  fs.copyFileSync(CONTAINER_UNIT, path.join(scratch, "cgleak-container.service"));
  const r = spawnSync("systemd-analyze", ["verify", node, path.join(scratch, "cgleak-container.service")], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), "", "no warnings");
});

test("systemd: the container unit's ExecStart serves /, /metrics and /api/status with podman", { skip }, async () => {
  ensureImage();
  const port = await freePort();
  const env = {
    CGLEAK_ENGINE: ["podman", ...PODMAN_BASE].join(" "),
    CGLEAK_IMAGE: IMAGE,
    CGLEAK_LISTEN: `127.0.0.1:${port}`,
    CGLEAK_DATA: path.join(scratch, "data"),
    // This VM's podman needs these (see image/build.sh); users leave CGLEAK_RUN_OPTS empty.
    CGLEAK_RUN_OPTS: RUN_BASE.filter((f) => f.startsWith("--ulimit")).join(" "),
  };
  for (const pre of unitCommands(CONTAINER_UNIT, "ExecStartPre", env)) spawnSync(pre[0] as string, pre.slice(1));
  const [start] = unitCommands(CONTAINER_UNIT, "ExecStart", env) as [string[]];
  const child = spawn(start[0] as string, start.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  try {
    assert.equal(await status(port, "/api/status", () => child.exitCode !== null), 200, stderr);
    assert.equal(await status(port, "/"), 200);
    assert.equal(await status(port, "/metrics"), 200);
  } finally {
    const [stop] = unitCommands(CONTAINER_UNIT, "ExecStop", env) as [string[]];
    spawnSync(stop[0] as string, stop.slice(1));
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.on("exit", r)));
  }
  assert.ok(fs.statSync(path.join(scratch, "data", "cgleak.db")).size > 0, "the history is kept on the host");
});

async function status(port: number, p: string, gaveUp = (): boolean => false): Promise<number> {
  for (let i = 0; i < 150 && !gaveUp(); i += 1) {
    try {
      return (await fetch(`http://127.0.0.1:${port}${p}`)).status;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return 0;
}

test("systemd/README: `run --rm --pid=host -v /:/host:ro IMAGE scan` reads the host", { skip }, () => {
  ensureImage();
  const r = podman(["run", "--rm", ...RUN_BASE, "--pid=host", "-v", "/:/host:ro", IMAGE, "scan", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const scan = JSON.parse(r.stdout) as { hostRoot: string; memcg: { live: number } };
  assert.equal(scan.hostRoot, "/host");
  assert.ok(scan.memcg.live > 1, "the host's memcgs, not only the container's");
});
