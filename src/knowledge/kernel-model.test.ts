import { test } from "node:test";
import assert from "node:assert/strict";
import { kernelModel } from "./kernel-model.js";
import { KERNEL_FACTS, releaseActions } from "./kernel-facts.js";
import { parseCmdline } from "../parsers/cmdline.js";

// release, distro, [major, minor, patch], dyingHoldIds, kmemForkLeak, slabPins, kmemLimitBroken, errno.
// "?" = the model must say "unknown". Release strings as people report them (issue threads, uname -r).
type V = boolean | "?";
type Row = [string, string, (number | null)[] | null, V, V, V, V, string];
const T = true,
  F = false;
const TABLE: Row[] = [
  ["6.1.0-18-amd64", "debian", [6, 1, null], F, F, F, T, "ENOSPC"],
  ["3.10.0-862.9.1.el7.x86_64", "rhel", [3, 10, 0], T, T, T, F, "ENOSPC"],
  ["3.10.0-1160.el7.x86_64", "rhel", [3, 10, 0], T, F, T, F, "ENOSPC"],
  ["3.10.0-1062.12.1.el7.x86_64", "rhel", [3, 10, 0], T, T, T, F, "ENOSPC"],
  ["3.10.0-514.el7.x86_64", "rhel", [3, 10, 0], T, T, T, F, "ENOSPC"],
  ["3.10.0-957.el7.x86_64", "rhel", [3, 10, 0], T, T, T, F, "ENOSPC"],
  ["3.10.0-1127.el7.x86_64", "rhel", [3, 10, 0], T, F, T, F, "ENOSPC"],
  ["4.18.0-348.el8.x86_64", "rhel", [4, 18, 0], F, F, "?", F, "?"],
  ["5.14.0-362.8.1.el9_3.x86_64", "rhel", [5, 14, 0], F, F, F, "?", "?"],
  ["2.6.32-754.el6.x86_64", "rhel", [2, 6, 32], T, "?", T, F, "ENOSPC"],
  ["4.15.0-112-generic", "ubuntu", [4, 15, null], F, F, T, F, "ENOMEM"],
  ["5.15.0-91-generic", "ubuntu", [5, 15, null], F, F, F, F, "ENOSPC"],
  ["5.4.0-1029-aws", "ubuntu", [5, 4, null], F, F, T, F, "?"],
  ["4.4.0-210-generic", "ubuntu", [4, 4, null], "?", F, T, F, "?"],
  ["3.19.0-80-generic", "ubuntu", [3, 19, null], T, "?", T, F, "ENOSPC"],
  ["4.14.177-139.253.amzn2.x86_64", "amzn", [4, 14, 177], F, F, T, F, "ENOMEM"],
  ["5.10.209-198.858.amzn2.x86_64", "amzn", [5, 10, 209], F, F, F, F, "ENOSPC"],
  ["6.1.79-99.164.amzn2023.x86_64", "amzn", [6, 1, 79], F, F, F, T, "ENOSPC"],
  ["6.18.44-fc-v782", "upstream", [6, 18, 44], F, F, F, T, "EBUSY"],
  ["6.12.117+deb12-amd64", "debian", [6, 12, 117], F, F, F, T, "?"],
  ["6.1.0-56-amd64", "debian", [6, 1, null], F, F, F, T, "ENOSPC"],
  ["4.19.0-16-amd64", "debian", [4, 19, null], F, F, T, F, "ENOMEM"],
  ["4.9.0-8-amd64", "debian", [4, 9, null], F, F, T, F, "ENOMEM"],
  ["4.6.0-1-amd64", "debian", [4, 6, null], T, F, T, F, "ENOSPC"],
  ["6.1.0-rpi4-rpi-2712", "debian", [6, 1, null], F, F, F, T, "ENOSPC"],
  ["4.4.218-1.el7.elrepo.x86_64", "upstream", [4, 4, 218], F, F, T, F, "ENOMEM"],
  ["5.4.17-2136.307.3.1.el7uek.x86_64", "upstream", [5, 4, 17], F, F, T, F, "ENOMEM"],
  ["5.10.133+", "upstream", [5, 10, 133], F, F, F, F, "ENOSPC"],
  ["6.6.87.2-microsoft-standard-WSL2", "upstream", [6, 6, 87], F, F, F, T, "ENOSPC"],
  ["6.1.54-talos", "upstream", [6, 1, 54], F, F, F, T, "ENOSPC"],
  ["5.14.21-150400.24.46-default", "unknown", [5, 14, 21], F, F, F, F, "ENOSPC"],
  ["5.4.0", "upstream", [5, 4, 0], F, F, T, F, "ENOMEM"],
  ["3.10.0.862.9.1.el7.x86_64", "rhel", [3, 10, 0], T, T, T, F, "ENOSPC"],
  ["3.10.0-862.el7.x86_", "rhel", [3, 10, 0], T, T, T, F, "ENOSPC"],
  ["", "unknown", null, "?", "?", "?", "?", "?"],
  ["garbage", "unknown", null, "?", "?", "?", "?", "?"],
  ["Linux version 6.1.0", "unknown", null, "?", "?", "?", "?", "?"],
];

const want = (v: V | string) => (v === "?" ? "unknown" : v);

for (const [rel, distro, ver, ids, fork, slab, limit, errno] of TABLE) {
  test(`kernel model: ${JSON.stringify(rel)}`, () => {
    const k = kernelModel(rel);
    assert.equal(k.release.distro, distro);
    if (ver) assert.deepEqual([k.release.major, k.release.minor, k.release.patch], ver);
    else assert.ok(k.release.unknownReason, "an unplaced release says why");
    assert.equal(k.dyingHoldIds.value, want(ids), `dyingHoldIds: ${k.dyingHoldIds.reason}`);
    assert.equal(k.kmemForkLeak.value, want(fork), `kmemForkLeak: ${k.kmemForkLeak.reason}`);
    assert.equal(k.slabPins.value, want(slab), `slabPins: ${k.slabPins.reason}`);
    assert.equal(k.kmemLimitBroken.value, want(limit), `kmemLimitBroken: ${k.kmemLimitBroken.reason}`);
    assert.equal(k.exhaustionErrno.value, want(errno), `exhaustionErrno: ${k.exhaustionErrno.reason}`);
    for (const r of [
      k.dyingHoldIds,
      k.swapCanPinIds,
      k.kmemForkLeak,
      k.slabPins,
      k.pageCachePins,
      k.kmemLimitBroken,
      k.exhaustionErrno,
    ]) {
      assert.ok(r.source.length > 0 && r.reason.length > 0);
    }
  });
}

test("kernel model: page cache pins on every placed kernel up to 6.18, unknown after", () => {
  assert.equal(kernelModel("6.18.44-fc-v782").pageCachePins.value, true);
  assert.equal(kernelModel("3.10.0-1160.el7.x86_64").pageCachePins.value, true);
  assert.equal(kernelModel("7.2.0").pageCachePins.value, "unknown");
});

test("kernel model: only 6.1.54 loses memory.kmem.limit_in_bytes", () => {
  assert.equal(kernelModel("6.1.54-talos").kmemLimitFileGone.value, true);
  assert.equal(kernelModel("6.1.55").kmemLimitFileGone.value, false);
  assert.equal(kernelModel("6.1.0-rpi4-rpi-2712").kmemLimitFileGone.value, "unknown");
  assert.match(kernelModel("6.1.0-rpi4-rpi-2712").kmemLimitFileGone.reason, /patch level/);
});

test("kernel model: cgroup.memory=nokmem on RHEL 7", () => {
  const nokmem = parseCmdline("BOOT_IMAGE=/vmlinuz ro cgroup.memory=nokmem");
  assert.equal(kernelModel("3.10.0-1062.12.1.el7.x86_64", nokmem).kmemForkLeak.value, false);
  assert.equal(kernelModel("3.10.0-862.9.1.el7.x86_64", nokmem).kmemForkLeak.value, "unknown");
  assert.equal(kernelModel("3.10.0-862.9.1.el7.x86_64", parseCmdline("ro quiet")).kmemForkLeak.value, true);
  assert.match(kernelModel("3.10.0-862.9.1.el7.x86_64").kmemForkLeak.reason, /unless booted with cgroup.memory=nokmem/);
});

test("kernel model: malformed releases carry a warning in the reason", () => {
  assert.match(kernelModel("3.10.0.862.9.1.el7.x86_64").dyingHoldIds.reason, /malformed/);
  assert.match(kernelModel("3.10.0-862.el7.x86_").release.warning ?? "", /truncated architecture/);
});

test("kernel model: never throws on arbitrary input", () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = "0123456789.-_+elamzngicx86 \t\n\u0000é";
  for (let i = 0; i < 2000; i++) {
    const s = Array.from({ length: Math.floor(rnd() * 30) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(
      "",
    );
    const k = kernelModel(s);
    assert.equal(typeof k.dyingHoldIds.reason, "string");
  }
  assert.doesNotThrow(() => kernelModel(undefined as unknown as string));
});

test("kernel facts: every row and release action names a source", () => {
  for (const row of KERNEL_FACTS) assert.ok(row.source.trim().length > 5, JSON.stringify(row));
  for (const a of releaseActions) assert.ok(a.source.trim().length > 5, JSON.stringify(a));
  // The lab's v1/v2 difference must stay in the data: v1 `echo 1` frees, v2 needs inode eviction.
  assert.ok(releaseActions.some((a) => a.cgroup === "v1" && a.action.includes("echo 1") && a.frees));
  assert.ok(releaseActions.some((a) => a.cgroup === "v2" && a.action.includes("echo 1") && !a.frees));
  assert.ok(releaseActions.some((a) => a.cgroup === "v2" && a.action.includes("echo 2") && a.frees));
});
