import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { componentOf, isMemoryCgroupPath, matchLine, unquote } from "./signature.js";
import { SignatureStream } from "./stream.js";

const CORPUS = new URL("../../testdata/logs/corpus.jsonl", import.meta.url);

interface Row {
  label: string;
  source: string;
  line: string;
}

/** What the stream reports for one corpus entry (physical lines split on \n, as a file would be). */
function classify(text: string): string {
  const s = new SignatureStream();
  const kinds = text.split("\n").flatMap((l) => s.push(l).map((h) => h.match.kind));
  return kinds[0] ?? "negative";
}

test("corpus: precision and recall both >= 0.95, each row named by its source", () => {
  const rows = fs.readFileSync(CORPUS, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Row);
  const positives = rows.filter((r) => r.label !== "negative");
  assert.ok(positives.length >= 40 && rows.length - positives.length >= 40, "at least 40 of each");
  for (const r of rows) assert.ok(r.source.trim() && r.line.trim(), `row without source or line: ${JSON.stringify(r)}`);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const wrong: string[] = [];
  for (const r of rows) {
    const got = classify(r.line);
    if (got === r.label && got !== "negative") tp += 1;
    if (got !== r.label) {
      wrong.push(`${r.label} -> ${got}: ${r.source}`);
      if (got !== "negative") fp += 1; // a negative called positive, or the wrong kind
      if (r.label !== "negative") fn += 1;
    }
  }
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  assert.ok(precision >= 0.95, `precision ${precision.toFixed(3)}: ${wrong.join("; ")}`);
  assert.ok(recall >= 0.95, `recall ${recall.toFixed(3)}: ${wrong.join("; ")}`);
});

test("matchLine: Go error form gives kind, errno, path and component", () => {
  const m = matchLine(
    'Mar 01 10:00:00 n1 kubelet[9]: mkdir /sys/fs/cgroup/memory/kubepods/burstable/pod1: device or resource busy',
  );
  assert.deepEqual(m, {
    kind: "mkdir-ebusy",
    errno: "EBUSY",
    path: "/sys/fs/cgroup/memory/kubepods/burstable/pod1",
    component: "kubelet",
  });
});

test("matchLine: a path containing colons (containerd systemd-style cgroup names)", () => {
  const m = matchLine("mkdir /sys/fs/cgroup/memory/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:ab12: no space left on device");
  assert.equal(m?.path, "/sys/fs/cgroup/memory/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:ab12");
  assert.equal(m?.kind, "mkdir-enospc");
});

test("matchLine: the errno must belong to the mkdir, not to a later operation", () => {
  assert.equal(matchLine("mkdir /sys/fs/cgroup/memory/a ok; write /sys/fs/cgroup/memory/a/cgroup.procs: no space left on device"), undefined);
  assert.equal(matchLine("mkdir /sys/fs/cgroup/memory/a: permission denied"), undefined);
  assert.equal(matchLine("rmdir /sys/fs/cgroup/memory/a: device or resource busy"), undefined);
});

test("matchLine: a line cut inside the errno still counts, one cut before it does not", () => {
  assert.equal(matchLine("mkdir /sys/fs/cgroup/memory/docker/ab: no space left o")?.errno, "ENOSPC");
  assert.equal(matchLine("mkdir /sys/fs/cgroup/memory/docker/ab: cannot all…")?.errno, "ENOMEM");
  assert.equal(matchLine("mkdir /sys/fs/cgroup/memory/docker/ab: no such file or directory"), undefined);
  assert.equal(matchLine("mkdir /sys/fs/cgroup/memory/docker/ab"), undefined);
});

test("unquote: two and three levels of JSON quoting collapse to plain quotes", () => {
  assert.equal(unquote('caused \\\\\\"mkdir /x: y\\\\\\"\\"'), 'caused "mkdir /x: y""');
  assert.equal(unquote("no backslash"), "no backslash");
});

test("isMemoryCgroupPath: memory and v2 trees yes; other hierarchies and disks no", () => {
  for (const p of ["/sys/fs/cgroup/memory/kubepods", "/sys/fs/cgroup/memory//lxc/x", "/cgroup/memory/d", "/sys/fs/cgroup/cpu,memory/x", "/sys/fs/cgroup/kubepods.slice/x", "/host/sys/fs/cgroup/memory/x"]) {
    assert.equal(isMemoryCgroupPath(p), true, p);
  }
  for (const p of ["/sys/fs/cgroup/cpuset/kubepods", "/sys/fs/cgroup/pids/x", "/sys/fs/cgroup/cpu,cpuacct/x", "/sys/fs/cgroup/systemd/x", "/sys/fs/cgroup/unified/x", "/var/lib/docker/overlay2/x", "/var/lib/kubelet/pods/x", "/tmp/cgroup/memory/x"]) {
    assert.equal(isMemoryCgroupPath(p), false, p);
  }
});

test("componentOf: syslog and short-iso tags, then guesses from the message", () => {
  assert.equal(componentOf("Dec 24 11:54:31 h dockerd[11419]: x"), "dockerd");
  assert.equal(componentOf("2024-01-05T12:00:01+0000 h kubelet[1]: x"), "kubelet");
  assert.equal(componentOf("2024-01-05T12:00:01+0000 h crio[1]: x"), "crio");
  assert.equal(componentOf("Oct 19 13:44:52 h kernel: SLUB: x"), "kernel");
  assert.equal(componentOf("Warning FailedCreatePodContainer 6s kubelet unable to ensure pod container exists"), "kubelet");
  assert.equal(componentOf("container_linux.go:348: starting container process"), "runc");
  assert.equal(componentOf("something else entirely"), "unknown");
});

test("SignatureStream: SLUB counts only with a per-memcg cache line within 3 lines", () => {
  const s = new SignatureStream();
  const lines = [
    "[1.0] SLUB: Unable to allocate memory on node -1 (gfp=0x20)",
    "[1.1]   cache: kmalloc-64(12:abc), object size: 64",
    "[2.0] SLUB: Unable to allocate memory on node -1 (gfp=0x20)",
    "[2.1]   cache: kmalloc-64, object size: 64",
    "[3.0] SLUB: Unable to allocate memory on node -1 (gfp=0x20)",
    "a", "b", "c",
    "[3.9]   cache: dentry(5:late), object size: 64",
  ];
  const hits = lines.flatMap((l) => s.push(l));
  assert.equal(hits.length, 1);
  assert.equal(hits[0]?.lineNumber, 1);
  assert.equal(hits[0]?.match.cache, "kmalloc-64(12:abc)");
});

test("SignatureStream: a hard-wrapped line is joined back and reported at its first line", () => {
  const full = "Jan 1 00:00:00 h dockerd[1]: caused \\\"mkdir /sys/fs/cgroup/memory/docker/abcdef: no space left on device\\\"";
  const pieces = full.match(/.{1,30}/g) as string[];
  const s = new SignatureStream();
  const hits = ["Jan 1 00:00:00 h other[2]: unrelated", ...pieces, "Jan 1 00:00:01 h x[3]: next"].flatMap((l) => s.push(l));
  assert.equal(hits.length, 1);
  assert.equal(hits[0]?.lineNumber, 2);
  assert.equal(hits[0]?.match.path, "/sys/fs/cgroup/memory/docker/abcdef");
});

test("SignatureStream: a new log record ends a wrap, so unrelated lines are never glued", () => {
  const s = new SignatureStream();
  const hits = [
    "Jan 1 00:00:00 h dockerd[1]: mkdir /sys/fs/cgroup/memory/docker/abc",
    "Jan 1 00:00:01 h dockerd[1]: : no space left on device",
  ].flatMap((l) => s.push(l));
  assert.equal(hits.length, 0);
});
