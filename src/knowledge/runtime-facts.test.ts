import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyRuntimes, parseVersionOverrides, RUNTIME_FACTS } from "./runtime-facts.js";
import type { Tool, ToolVersion } from "../parsers/runtime-version.js";
import { parseVersion } from "../parsers/version.js";

const tv = (tool: Tool, raw: string): ToolVersion => ({ tool, version: parseVersion(raw) ?? "unknown" });
const kmem = (tool: Tool, raw: string) => classifyRuntimes([tv(tool, raw)])[0]?.enablesKmem;

test("runtime facts: runc kmem boundaries (rc3 first, rc94 never)", () => {
  const cases: [string, boolean | "unknown"][] = [
    ["1.0.0-rc1", false],
    ["1.0.0-rc2", false],
    ["1.0.0-rc3", true],
    ["1.0.0-rc5+dev", true],
    ["1.0.0-rc6", true],
    ["1.0.0-rc10", true],
    ["1.0.0-rc92", true],
    ["1.0.0-rc93", true],
    ["1.0.0-rc93+dev", "unknown"],
    ["1.0.0-rc94", false],
    ["1.0.0-rc95", false],
    ["1.0.0", false],
    ["1.1.5+ds1", false],
    ["1.3.0-rc.1", false],
    ["0.1.1", false],
  ];
  for (const [v, want] of cases) assert.equal(kmem("runc", v), want, `runc ${v}`);
});

test("runtime facts: kubelet 1.8 .. 1.21.1 on, 1.21.2+ off", () => {
  const cases: [string, boolean][] = [
    ["v1.7.16", false],
    ["v1.8.0", true],
    ["v1.18.3", true],
    ["v1.21.1", true],
    ["v1.21.2", false],
    ["v1.21.14", false],
    ["v1.22.0", false],
    ["v1.20.15", true],
    ["v1.27.4", false],
  ];
  for (const [v, want] of cases) assert.equal(kmem("kubelet", v), want, `kubelet ${v}`);
});

test("runtime facts: the nokmem caveat and the fix ride along", () => {
  const [rc92] = classifyRuntimes([tv("runc", "1.0.0-rc92")]);
  assert.equal(rc92?.unlessNokmem, true);
  assert.match(rc92?.fix ?? "", /nokmem/);
  assert.match(rc92?.source ?? "", /runc#2840/);
  const [rc4] = classifyRuntimes([tv("runc", "1.0.0-rc4")]);
  assert.equal(rc4?.unlessNokmem, false, "rc3-rc5 cannot be built without kmem");
  for (const r of RUNTIME_FACTS) assert.ok(r.source.length > 5);
});

test("runtime facts: unknown versions and non-kmem tools", () => {
  const out = classifyRuntimes([
    { tool: "runc", version: "unknown", reason: "timed out after 2000 ms" },
    tv("containerd", "1.6.21"),
    {
      tool: "dockerd",
      version: parseVersion("20.10.12")!,
      embedded: [{ ...tv("runc", "1.0.0-rc92"), origin: "docker version (server)" }],
    },
  ]);
  assert.equal(out.length, 2);
  assert.equal(out[0]?.enablesKmem, "unknown");
  assert.match(out[0]?.reason ?? "", /timed out/);
  assert.equal(out[1]?.enablesKmem, true);
  assert.equal(out[1]?.from, "docker version (server)");
});

test("runtime facts: --versions overrides", () => {
  const o = parseVersionOverrides("runc=1.0.0-rc92,kubelet=1.18.3");
  assert.deepEqual(
    o.map((x) => [x.tool, x.version !== "unknown" && x.version.raw, x.origin]),
    [
      ["runc", "1.0.0-rc92", "override (--versions)"],
      ["kubelet", "1.18.3", "override (--versions)"],
    ],
  );
  assert.deepEqual(
    classifyRuntimes(o).map((v) => v.enablesKmem),
    [true, true],
  );
  assert.equal(parseVersionOverrides(" docker=20.10.7 , cri-o=1.18.3 ")[1]?.tool, "crio");
  assert.equal(parseVersionOverrides("kubelet=Kubernetes v1.18.3")[0]?.tool, "kubelet");
  assert.throws(() => parseVersionOverrides("runc"), /--versions: expected TOOL=VERSION, got "runc"/);
  assert.throws(() => parseVersionOverrides("crun=1.2"), /unknown tool "crun"/);
  assert.throws(() => parseVersionOverrides("runc=latest"), /"latest" is not a version for runc/);
  assert.throws(() => parseVersionOverrides(""), /got nothing/);
});
