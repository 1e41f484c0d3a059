import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Host } from "../host/host.js";
import { readBinaryVersion } from "./static-versions.js";

// kubectl is linked by the Kubernetes build exactly as kubelet is (-X k8s.io/component-base/version.gitVersion).
const KUBECTLS = [
  "/usr/lib/google-cloud-sdk/bin/kubectl.1.28",
  "/usr/lib/google-cloud-sdk/bin/kubectl.1.33",
  "/usr/local/bin/kubectl",
  "/usr/bin/kubectl",
].filter((p) => fs.existsSync(p) && !fs.lstatSync(p).isSymbolicLink());

test(
  "static: Kubernetes binaries on this machine give the version they print, without being run by cgleak",
  { skip: KUBECTLS.length ? false : "no Kubernetes-built binary (kubectl) here" },
  () => {
    for (const bin of KUBECTLS) {
      const printed = /Client Version: (v\S+)/.exec(
        spawnSync(bin, ["version", "--client"], { encoding: "utf8" }).stdout,
      )?.[1];
      const read = readBinaryVersion(new Host("/"), { tool: "kubelet", path: bin, shown: bin, magicLink: false });
      assert.equal(read.version === "unknown" ? read.reason : read.version.raw, printed, bin);
      assert.match(read.origin ?? "", /not run/);
    }
  },
);

test("static: a FIFO, a directory and a huge sparse file are refused without reading them", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-static-"));
  try {
    spawnSync("mkfifo", [path.join(dir, "fifo")]);
    fs.writeFileSync(path.join(dir, "huge"), "");
    fs.truncateSync(path.join(dir, "huge"), 600 << 20);
    const why = (at: string): string =>
      readBinaryVersion(new Host(dir), { tool: "runc", path: at, shown: "/usr/bin/runc", magicLink: false }).reason ??
      "";
    assert.match(why("/fifo"), /not a regular file/);
    assert.match(why("/"), /not a regular file/);
    assert.match(why("/huge"), /larger than any runtime binary/);
    fs.symlinkSync("/etc/hostname", path.join(dir, "link"));
    assert.match(why("/link"), /cannot open: ELOOP/, "a link swapped in after resolution is not followed");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
