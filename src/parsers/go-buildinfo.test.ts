import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { parseGoBuildInfo, parseModInfo } from "./go-buildinfo.js";
import { versionFromBuildInfo, versionFromStrings } from "./binary-version.js";

function readFile(file: string) {
  const fd = fs.openSync(file, "r");
  const size = fs.fstatSync(fd).size;
  const read = (o: number, n: number) => {
    const b = Buffer.alloc(Math.max(0, Math.min(n, size - o)));
    fs.readSync(fd, b, 0, b.length, o);
    return b;
  };
  return { info: parseGoBuildInfo(read, size), close: () => fs.closeSync(fd) };
}

const RUNC = "/usr/sbin/runc";
test("go build info: Debian's runc, read as `go version -m` does", { skip: fs.existsSync(RUNC) ? false : `${RUNC} not installed` }, () => {
  const { info, close } = readFile(RUNC);
  close();
  assert.match(info?.goVersion ?? "", /^go1\.\d+/);
  assert.equal(info?.path, "github.com/opencontainers/runc");
  assert.match(info?.settings["-tags"] ?? "", /seccomp/);
});

test("go build info: not Go, not ELF, empty", () => {
  assert.equal(readFile(process.execPath).info, undefined, "node is ELF but not Go");
  assert.equal(parseGoBuildInfo(() => Buffer.alloc(0), 0), undefined);
  assert.equal(parseGoBuildInfo((o, n) => Buffer.from("#!/bin/sh\necho runc version 1.0.0\n").subarray(o, o + n), 30), undefined);
});

test("go build info: module lines and -ldflags name the version", () => {
  const mod = parseModInfo([
    "path\tgithub.com/containerd/containerd/cmd/containerd",
    "mod\tgithub.com/containerd/containerd\tv1.6.8\th1:abc=",
    "dep\tgithub.com/opencontainers/runc\tv1.1.3\th1:def=",
    "build\t-ldflags=\"-X github.com/containerd/containerd/version.Version=1.6.8~ds1 -s -w\"",
  ].join("\n"));
  assert.deepEqual(mod.main, { path: "github.com/containerd/containerd", version: "v1.6.8" });
  assert.equal(versionFromBuildInfo("containerd", { goVersion: "go1.19", ...mod })?.version.raw, "1.6.8~ds1");
  const kube = parseModInfo("path\tk8s.io/kubernetes/cmd/kubelet\nbuild\t-ldflags=\"-X 'k8s.io/component-base/version.gitVersion=v1.27.4' -X 'k8s.io/component-base/version.gitCommit=fa3d799'\"");
  assert.equal(versionFromBuildInfo("kubelet", { goVersion: "go1.20", ...kube })?.version.raw, "v1.27.4");
  const devel = parseModInfo("mod\tgithub.com/opencontainers/runc\t(devel)\t");
  assert.equal(versionFromBuildInfo("runc", { goVersion: "go1.21", ...devel }), undefined, "(devel) is no version");
});

test("linked version strings: one release is that release; two are ambiguous; spec versions are not runc's", () => {
  const v = versionFromStrings("runc", "\0go1.19.8\0\x001.1.5+ds1\0\x001.1.5+ds1-1+deb12u1\0\x001.0.2-dev\0");
  assert.ok(v && "raw" in v && v.raw === "1.1.5+ds1");
  assert.deepEqual(versionFromStrings("runc", "\x001.0.0-rc10\0\x001.1.2\0"), { ambiguous: ["1.0.0-rc10", "1.1.2"] });
  assert.equal(versionFromStrings("runc", "\x001.0.2-dev\0"), undefined);
  const k = versionFromStrings("kubelet", "\0v1.18.3\0");
  assert.ok(k && "raw" in k && k.raw === "v1.18.3");
});
