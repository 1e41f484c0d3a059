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
test(
  "go build info: Debian's runc, read as `go version -m` does",
  { skip: fs.existsSync(RUNC) ? false : `${RUNC} not installed` },
  () => {
    const { info, close } = readFile(RUNC);
    close();
    assert.match(info?.goVersion ?? "", /^go1\.\d+/);
    assert.equal(info?.path, "github.com/opencontainers/runc");
    assert.match(info?.settings["-tags"] ?? "", /seccomp/);
  },
);

test("go build info: not Go, not ELF, empty", () => {
  assert.equal(readFile(process.execPath).info, undefined, "node is ELF but not Go");
  assert.equal(
    parseGoBuildInfo(() => Buffer.alloc(0), 0),
    undefined,
  );
  assert.equal(
    parseGoBuildInfo((o, n) => Buffer.from("#!/bin/sh\necho runc version 1.0.0\n").subarray(o, o + n), 30),
    undefined,
  );
});

test("go build info: module lines and -ldflags name the version", () => {
  const mod = parseModInfo(
    [
      "path\tgithub.com/containerd/containerd/cmd/containerd",
      "mod\tgithub.com/containerd/containerd\tv1.6.8\th1:abc=",
      "dep\tgithub.com/opencontainers/runc\tv1.1.3\th1:def=",
      'build\t-ldflags="-X github.com/containerd/containerd/version.Version=1.6.8~ds1 -s -w"',
    ].join("\n"),
  );
  assert.deepEqual(mod.main, { path: "github.com/containerd/containerd", version: "v1.6.8" });
  assert.equal(versionFromBuildInfo("containerd", { goVersion: "go1.19", ...mod })?.version.raw, "1.6.8~ds1");
  const kube = parseModInfo(
    "path\tk8s.io/kubernetes/cmd/kubelet\nbuild\t-ldflags=\"-X 'k8s.io/component-base/version.gitVersion=v1.27.4' -X 'k8s.io/component-base/version.gitCommit=fa3d799'\"",
  );
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

/**
 * Go 1.13-1.17 layout (cmd/go/internal/version): the header holds two pointers to Go string headers
 * {data, len}, resolved through the PT_LOAD segment; no section headers (a stripped binary).
 */
function oldGoElf(goVersion: string, mod: string): Buffer {
  const VADDR = 0x400000n;
  const b = Buffer.alloc(0x400);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2;
  b[5] = 1;
  b.writeBigUInt64LE(0x40n, 0x20); // e_phoff
  b.writeUInt16LE(1, 0x38); // e_phnum
  b.writeUInt32LE(1, 0x40); // PT_LOAD at file offset 0
  b.writeBigUInt64LE(0n, 0x48);
  b.writeBigUInt64LE(VADDR, 0x50);
  b.writeBigUInt64LE(BigInt(b.length), 0x60);
  const at = 0x100;
  b.write("\xff Go buildinf:", at, "latin1");
  b[at + 14] = 8;
  b[at + 15] = 0;
  b.writeBigUInt64LE(VADDR + 0x200n, at + 16);
  b.writeBigUInt64LE(VADDR + 0x210n, at + 24);
  b.writeBigUInt64LE(VADDR + 0x240n, 0x200);
  b.writeBigUInt64LE(BigInt(goVersion.length), 0x208);
  b.writeBigUInt64LE(VADDR + 0x260n, 0x210);
  b.writeBigUInt64LE(BigInt(mod.length), 0x218);
  b.write(goVersion, 0x240, "latin1");
  b.write(mod, 0x260, "latin1");
  return b;
}

test("go build info: the pointer layout of Go 1.13-1.17, through the program headers", () => {
  const mod =
    "0w\xaf\f\x92t\b\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6path\tgithub.com/containerd/containerd/cmd/containerd\nmod\tgithub.com/containerd/containerd\tv1.4.3\t\n\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";
  const elf = oldGoElf("go1.15.5", mod);
  const info = parseGoBuildInfo((o, n) => elf.subarray(o, o + n), elf.length);
  assert.equal(info?.goVersion, "go1.15.5");
  assert.deepEqual(info?.main, { path: "github.com/containerd/containerd", version: "v1.4.3" });
  assert.equal(info && versionFromBuildInfo("containerd", info)?.version.raw, "v1.4.3");
  // A pointer outside every segment is no string, not a read elsewhere.
  elf.writeBigUInt64LE(0xdead0000n, 0x100 + 16);
  assert.equal(
    parseGoBuildInfo((o, n) => elf.subarray(o, o + n), elf.length),
    undefined,
  );
});
