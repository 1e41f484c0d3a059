import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { parseToolVersion, type Tool } from "./runtime-version.js";
import { parseVersion } from "./version.js";
import { classifyRuntimes } from "../knowledge/runtime-facts.js";

interface Sample {
  tool: Tool;
  output: string;
  version: string | null;
  kmem?: boolean | "unknown";
  embedded?: Record<string, string>;
  source: string;
}
const FILE = new URL("../../testdata/versions/samples.json", import.meta.url);
const samples = (JSON.parse(fs.readFileSync(FILE, "utf8")) as { samples: Sample[] }).samples;

test("version samples: several real outputs per tool, each with a source", () => {
  for (const tool of ["runc", "containerd", "dockerd", "crio", "kubelet"]) {
    assert.ok(samples.filter((s) => s.tool === tool).length >= 4, `${tool} needs >= 4 samples`);
  }
  for (const s of samples) assert.ok(s.source.length > 5);
});

for (const s of samples) {
  test(`version: ${s.tool} ${JSON.stringify(s.output.split("\n").find((l) => /\d/.test(l)) ?? s.output)}`, () => {
    const tv = parseToolVersion(s.tool, s.output);
    assert.equal(tv.tool, s.tool);
    if (s.version === null) {
      assert.equal(tv.version, "unknown");
      assert.ok(tv.reason && tv.reason.length > 10, "unknown carries a reason");
    } else {
      assert.notEqual(tv.version, "unknown", tv.reason);
      if (tv.version !== "unknown") assert.equal(tv.version.raw, s.version);
    }
    for (const [tool, raw] of Object.entries(s.embedded ?? {})) {
      const e = tv.embedded?.find((x) => x.tool === tool);
      assert.ok(e && e.version !== "unknown" && e.version.raw === raw, `embedded ${tool} ${raw}`);
    }
    if (s.kmem !== undefined) {
      const [verdict] = classifyRuntimes([tv]);
      assert.equal(verdict?.enablesKmem, s.kmem, verdict?.reason);
    }
  });
}

test("version: garbage, empty and binary output are unknown with the reason", () => {
  for (const tool of ["runc", "containerd", "dockerd", "crio", "kubelet"] as Tool[]) {
    for (const out of ["", "Segmentation fault\n", "\u0000\u0001ELF\u0002", "usage: foo [options]"]) {
      const tv = parseToolVersion(tool, out);
      assert.equal(tv.version, "unknown");
      assert.match(tv.reason ?? "", new RegExp(`unrecognised ${tool} version output`));
    }
  }
});

test("version: tokens people write", () => {
  assert.deepEqual(parseVersion("1.0.0-rc92"), {
    raw: "1.0.0-rc92",
    major: 1,
    minor: 0,
    patch: 0,
    pre: "rc92",
    rc: 92,
  });
  assert.equal(parseVersion("1.0.0-rc10")?.rc, 10);
  assert.equal(parseVersion("1.1.5+ds1")?.build, "ds1");
  assert.equal(parseVersion("1.0.0-rc93+dev")?.build, "dev");
  assert.equal(parseVersion("v1.18.3")?.minor, 18);
  assert.equal(parseVersion("1.6.20~ds1")?.build, "ds1");
  assert.equal(parseVersion("v1.21.2-eks-0389ca3")?.patch, 2);
  assert.equal(parseVersion("1.3.0-rc.1")?.rc, 1);
  assert.equal(parseVersion("spec:"), undefined);
  assert.equal(parseVersion("commit: 249bca0a"), undefined);
});

test("version: docker version of RHEL 7's docker 1.13 (no Engine section)", () => {
  const out =
    "Client:\n Version:         1.13.1\n\nServer:\n Version:         1.13.1\n API version:     1.26 (minimum version 1.12)\n Package version: docker-1.13.1-88.git07f3374.el7.centos.x86_64\n";
  const tv = parseToolVersion("dockerd", out);
  assert.ok(tv.version !== "unknown" && tv.version.raw === "1.13.1");
});
