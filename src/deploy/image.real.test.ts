/**
 * The image, run as deploy/kubernetes/daemonset.yaml runs it (flags derived from the manifest by
 * pod-run.ts): `kubectl exec ... cgleak scan` reads the host, the page and metrics answer, a failure
 * in /var/log or the journal becomes the log-signature finding, and only the remediation variant
 * can drop caches. Needs root, podman and cgroup v1 memory; builds the image when CI has not.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { daemonSetPodSpec, podRunFlags, REPO, remediationOverlay } from "./pod-run.js";
import {
  ensureImage,
  freePort,
  IMAGE,
  needsPodmanRoot,
  podman,
  podmanOk,
  removeLibpodParents,
  RUN_BASE,
} from "../testing/podman.js";
import { FAILURE_LINE, needsJournalRemote, plantJournalLine, plantLogFile } from "../testing/planted-logs.js";

const skip = needsPodmanRoot();
const BIN = path.join(REPO, "dist/cli/cgleak.cjs");
const name = `cgleak-test-${process.pid}-serve`;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-img-"));
const cleanups: (() => void)[] = [];
let port = 0;

/** DirectoryOrCreate paths this host lacks go to a scratch dir: the test creates nothing on the host. */
function hostPath(p: string, type: string | undefined): string {
  if (type !== "DirectoryOrCreate" || fs.existsSync(p)) return p;
  const dir = path.join(scratch, p);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** An emptyDir as kubelet makes it: a fresh node directory, mode 0777 (sticky here), removed after. */
function emptyDir(volume: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `cgleak-test-${process.pid}-${volume}-`));
  fs.chmodSync(d, 0o1777);
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** The DaemonSet's args, minus --kube (no API server here: kube is the contract test's) and on a free port. */
function runArgs(args: string[]): string[] {
  return args
    .filter((a) => a !== "--kube" && !a.startsWith("--taint-at") && !a.startsWith("--reboot-sentinel"))
    .map((a) => (a.startsWith("--listen=") ? `--listen=127.0.0.1:${port}` : a));
}

before(async () => {
  if (skip) return;
  ensureImage();
  port = await freePort();
  const { flags, args } = podRunFlags(daemonSetPodSpec(), { hostPath, emptyDir });
  podmanOk(["run", "-d", "--name", name, ...RUN_BASE, ...flags, IMAGE, ...runArgs(args)]);
  cleanups.push(() => podman(["rm", "-f", "-t", "0", name]));
  await waitForHttp("/api/status");
});

after(() => {
  for (const c of cleanups.reverse()) c();
  removeLibpodParents();
  fs.rmSync(scratch, { recursive: true, force: true });
});

async function waitForHttp(p: string): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}${p}`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`serve in ${IMAGE} never answered ${p}: ${podman(["logs", name]).stderr}`);
}

const exec = (...args: string[]): ReturnType<typeof podman> => podman(["exec", name, "cgleak", ...args]);
type Counts = { live: number; dying: number; total: number };
const counts = (json: string): Counts => {
  const m = (JSON.parse(json) as { memcg: { live: number; dying: number; kernelTotal: number } }).memcg;
  return { live: m.live, dying: m.dying, total: m.kernelTotal };
};
const hostScan = (): Counts =>
  counts(spawnSync(process.execPath, [BIN, "scan", "--json"], { encoding: "utf8" }).stdout);

test("image: `cgleak scan --json` exec'd in the DaemonSet's container equals the host's own scan", { skip }, () => {
  // Other engineers' tests make and remove cgroups: only a container scan between two equal host
  // scans is compared, so the counts must match exactly.
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const before = hostScan();
    const r = exec("scan", "--json");
    const afterScan = hostScan();
    assert.equal(r.status, 0, r.stderr);
    if (JSON.stringify(before) !== JSON.stringify(afterScan)) continue;
    assert.deepEqual(counts(r.stdout), before);
    assert.equal(JSON.parse(r.stdout).hostRoot, "/host", "CGLEAK_HOST_ROOT reaches kubectl exec");
    return;
  }
  assert.fail("the host's memcg counts never held still across a container scan (10 tries)");
});

test("image: serve answers /, /metrics and /api/status", { skip }, async () => {
  const page = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^cgleak_/m);
  const status = await fetch(`http://127.0.0.1:${port}/api/status`);
  assert.equal(status.status, 200);
  assert.ok(typeof (await status.json()) === "object");
});

const mountsVarLog = (): boolean =>
  ((daemonSetPodSpec().containers[0].volumeMounts ?? []) as { mountPath: string }[]).some(
    (m) => m.mountPath === "/host/var/log",
  );
const logSkip =
  skip || (!mountsVarLog() && "deploy/kubernetes/daemonset.yaml mounts no /var/log under /host yet (issue 15, item 4)");

function logSignature(stdout: string): { evidence: { from: string; value: string }[] } | undefined {
  const findings = (JSON.parse(stdout) as { findings: { id: string; evidence: { from: string; value: string }[] }[] })
    .findings;
  return findings.find((f) => f.id === "log-signature");
}

test(
  "image: a failure line in a file under the host's /var/log gives the log-signature finding",
  { skip: logSkip },
  () => {
    const file = plantLogFile(`/var/log/cgleak-test-${process.pid}.log`);
    cleanups.push(file.remove);
    const r = exec("explain", "--json", "--logs", file.path);
    assert.equal(r.status, 0, r.stderr);
    const f = logSignature(r.stdout);
    assert.ok(f, `no log-signature finding in ${r.stdout}`);
    assert.match(JSON.stringify(f.evidence), new RegExp(path.basename(file.path)));
    file.remove();
  },
);

test(
  "image: a failure line in the host's journal gives the log-signature finding (explain's default sources)",
  { skip: logSkip || needsJournalRemote() },
  () => {
    const j = plantJournalLine("/var/log/journal", FAILURE_LINE);
    cleanups.push(j.remove);
    const r = exec("explain", "--json");
    assert.equal(r.status, 0, r.stderr);
    const f = logSignature(r.stdout);
    assert.ok(f, `no log-signature finding in ${r.stdout}`);
    assert.match(JSON.stringify(f.evidence), /journal/);
    j.remove();
  },
);

test("image: the read-only DaemonSet refuses reclaim --drop-caches with one line", { skip }, () => {
  const r = exec("reclaim", "--drop-caches", "--yes");
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^cgleak reclaim: needs root/);
});

test(
  "image: the remediation overlay's writer container runs reclaim --drop-caches --yes under exec; its server is not root",
  { skip },
  () => {
    const pod = daemonSetPodSpec(undefined, remediationOverlay());
    const { flags } = podRunFlags(pod, { hostPath, emptyDir }, "writer");
    const writer = `cgleak-test-${process.pid}-writer`;
    podmanOk(["run", "-d", "--name", writer, ...RUN_BASE, ...flags, IMAGE]);
    cleanups.push(() => podman(["rm", "-f", "-t", "0", writer]));
    // as `kubectl exec -c writer ds/cgleak -- cgleak reclaim ...`
    const r = podman(["exec", writer, "cgleak", "reclaim", "--drop-caches", "--yes", "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const server = podRunFlags(pod, { hostPath, emptyDir }, "cgleak").flags;
    assert.ok(server.includes("--user=65532:65532"), "the server that listens runs as 65532");
    const report = JSON.parse(r.stdout) as { action: string; note: string };
    assert.match(report.action, /drop_caches/);
    assert.equal(report.note, "", "the write to /proc/sys/vm/drop_caches went through");
  },
);

test(
  "image: as root with the read-only DaemonSet's mounts, reclaim --drop-caches says in one line what is read-only",
  { skip },
  () => {
    const { flags } = podRunFlags(daemonSetPodSpec(), { hostPath, emptyDir });
    const asRoot = [...flags.filter((f) => !f.startsWith("--user=")), "--user=0:0"];
    const r = podman(["run", "--rm", ...RUN_BASE, ...asRoot, IMAGE, "reclaim", "--drop-caches", "--yes"]);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("cgleak"));
    assert.deepEqual(lines, [
      "cgleak reclaim: cannot write /proc/sys/vm/drop_caches: it is on a read-only mount (in Kubernetes: the remediation overlay mounts it writable)",
    ]);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  },
);
