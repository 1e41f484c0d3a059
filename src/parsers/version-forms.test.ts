import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { parseToolVersion, type Tool } from "./runtime-version.js";
import { classifyRuntimes, parseVersionOverrides } from "../knowledge/runtime-facts.js";

interface Form {
  tool: Tool;
  text: string;
  version: string | null;
  runc?: string;
  kmem?: boolean;
  source: string;
}
const forms = (
  JSON.parse(fs.readFileSync(new URL("../../testdata/versions/forms.json", import.meta.url), "utf8")) as {
    forms: Form[];
  }
).forms;

for (const f of forms) {
  test(`version form (${f.tool}): ${JSON.stringify(f.text.slice(0, 60))}`, () => {
    const tv = parseToolVersion(f.tool, f.text);
    if (f.version === null) assert.equal(tv.version, "unknown");
    else assert.equal(tv.version === "unknown" ? `unknown: ${tv.reason}` : tv.version.raw, f.version);
    if (f.runc === undefined) return;
    const runc = classifyRuntimes([tv]).filter((v) => v.tool === "runc");
    if (f.runc === "unknown") {
      assert.ok(
        runc.every((v) => v.version === "unknown" && v.enablesKmem === "unknown"),
        JSON.stringify(runc),
      );
      return;
    }
    assert.equal(runc.length, 1, JSON.stringify(runc));
    assert.equal(runc[0]!.version, f.runc);
    if (f.kmem !== undefined) assert.equal(runc[0]!.enablesKmem, f.kmem, runc[0]!.reason);
  });
}

test("--versions takes the same forms", () => {
  const got = parseVersionOverrides(
    "runc=version 1.0.0-rc10+dev,containerd=containerd://1.4.3,kubelet=v1.18.3,crio=cri-o://1.20.0,docker=19.03.8",
  );
  assert.deepEqual(
    got.map((v) => [v.tool, v.version === "unknown" ? "unknown" : v.version.raw]),
    [
      ["runc", "1.0.0-rc10+dev"],
      ["containerd", "1.4.3"],
      ["kubelet", "v1.18.3"],
      ["crio", "1.20.0"],
      ["dockerd", "19.03.8"],
    ],
  );
  const [byCommit] = parseVersionOverrides("runc=dc9208a3303feef5b3839f4323d9beb36df0a9dd");
  assert.equal(byCommit?.version !== "unknown" && byCommit?.version.raw, "v1.0.0-rc10");
  assert.equal(parseVersionOverrides("kubelet=Kubernetes 1.9.0")[0]?.version !== "unknown", true);
});

test("--versions: an unknown commit is kept and said to be unknown; nonsense is refused in one line", () => {
  const [c] = parseVersionOverrides("runc=0123456789abcdef");
  assert.equal(c?.version, "unknown");
  assert.match(c?.reason ?? "", /unknown runc commit 0123456789abcdef/);
  assert.throws(() => parseVersionOverrides("runc=banana"), /--versions: "banana" is not a version for runc/);
  assert.throws(() => parseVersionOverrides("kubelet=latest"), /not a version for kubelet/);
});
