import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyFixture, runCli } from "../testing/fixtures.js";

// A host tree whose runtime "binaries" are scripts that leave a mark when run: issue 20 item 1.
const root = copyFixture("centos7-v1-near-cap");
fs.chmodSync(root, 0o755);
const MARKS = path.join(root, "marks");
fs.mkdirSync(MARKS);
fs.chmodSync(MARKS, 0o1777);
const MARK = path.join(MARKS, "ran");
after(() => fs.rmSync(root, { recursive: true, force: true }));

const plant = (hostPath: string, out: string) => {
  const p = path.join(root, hostPath);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, `#!/bin/sh\necho "$(id -u) $0" >> ${MARK}\necho '${out}'\n`, { mode: 0o755 });
};
plant("/usr/bin/runc", "runc version 1.0.0-rc92");
plant("/usr/bin/kubelet", "Kubernetes v1.18.3");
plant(
  "/usr/local/bin/containerd",
  "containerd github.com/containerd/containerd v1.4.3 269548fa27e0089a8b8278fc4fc781d7f65a939b",
);
plant("/opt/elsewhere/dockerd", "Docker version 19.03.8, build afacb8b");
// A "running" dockerd whose /proc/<pid>/exe points at it: a plain tree, so followed inside the root only.
fs.mkdirSync(path.join(root, "proc/4242"), { recursive: true });
fs.writeFileSync(path.join(root, "proc/4242/comm"), "dockerd\n");
fs.writeFileSync(path.join(root, "proc/4242/cmdline"), "/opt/elsewhere/dockerd\0--debug\0");
fs.symlinkSync("/opt/elsewhere/dockerd", path.join(root, "proc/4242/exe"));

test("explain runs nothing from the host tree by default", () => {
  fs.rmSync(MARK, { force: true });
  const r = runCli(["explain", "--json", "--no-logs", "--host-root", root, "--db", path.join(root, "none.db")]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.existsSync(MARK), false, `ran: ${fs.existsSync(MARK) ? fs.readFileSync(MARK, "utf8") : ""}`);
  assert.match((JSON.parse(r.stdout) as { explain: { runtimes: string } }).explain.runtimes, /\d+ verdicts/);
});

test("explain --exec-versions runs them, unprivileged when root, and reads their versions", () => {
  fs.rmSync(MARK, { force: true });
  const r = runCli([
    "explain",
    "--json",
    "--no-logs",
    "--exec-versions",
    "--host-root",
    root,
    "--db",
    path.join(root, "none.db"),
  ]);
  assert.equal(r.status, 0, r.stderr);
  const runs = fs.readFileSync(MARK, "utf8").trim().split("\n");
  assert.equal(runs.length, 4, runs.join("; "));
  assert.ok(
    runs.some((l) => l.endsWith("/opt/elsewhere/dockerd")),
    "the running dockerd, found through /proc/4242/exe",
  );
  if (process.getuid?.() === 0)
    assert.ok(
      runs.every((l) => l.startsWith("65534 ")),
      `not run as nobody: ${runs.join("; ")}`,
    );
  const findings = JSON.stringify(JSON.parse(r.stdout));
  assert.match(findings, /runc 1\.0\.0-rc92/);
});
