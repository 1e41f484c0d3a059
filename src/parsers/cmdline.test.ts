import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCmdline } from "./cmdline.js";

test("cmdline: CentOS 7 with nokmem (docker/for-linux#841 style)", () => {
  const b = parseCmdline(
    "BOOT_IMAGE=/vmlinuz-3.10.0-1062.el7.x86_64 root=/dev/mapper/centos-root ro crashkernel=auto rhgb quiet cgroup.memory=nokmem\n",
  );
  assert.equal(b.nokmem, true);
  assert.equal(b.nosocket, false);
  assert.equal(b.cgroupNoV1, null);
  assert.equal(b.unifiedHierarchy, null);
  assert.match(b.raw, /^BOOT_IMAGE/);
});

test("cmdline: comma lists and repeated parameters accumulate like the kernel", () => {
  const b = parseCmdline("cgroup.memory=nosocket cgroup.memory=nokmem cgroup_no_v1=memory,cpu cgroup_no_v1=pids");
  assert.equal(b.nokmem, true);
  assert.equal(b.nosocket, true);
  assert.deepEqual(b.cgroupNoV1, ["memory", "cpu", "pids"]);
  assert.equal(parseCmdline("cgroup.memory=nosocket,nokmem").nokmem, true);
});

test("cmdline: v2 switches and Raspberry Pi memcg enable", () => {
  const pi = parseCmdline(
    "console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 fsck.repair=yes rootwait cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory",
  );
  assert.equal(pi.cgroupEnableMemory, true);
  assert.equal(parseCmdline("systemd.unified_cgroup_hierarchy=0").unifiedHierarchy, false);
  assert.equal(parseCmdline("systemd.unified_cgroup_hierarchy=1").unifiedHierarchy, true);
  assert.equal(parseCmdline("systemd.unified_cgroup_hierarchy").unifiedHierarchy, true);
  assert.equal(
    parseCmdline("systemd.unified_cgroup_hierarchy=false systemd.unified_cgroup_hierarchy=yes").unifiedHierarchy,
    true,
  );
  assert.equal(parseCmdline("systemd.unified_cgroup_hierarchy=maybe").unifiedHierarchy, null);
  assert.deepEqual(parseCmdline("console=ttyS0 quiet panic=-1 cgroup_no_v1=all").cgroupNoV1, ["all"]);
  assert.deepEqual(parseCmdline("cgroup_disable=memory").cgroupDisable, ["memory"]);
});

test("cmdline: quoted values and words after -- (init's arguments) are not kernel parameters", () => {
  const b = parseCmdline('dyndbg="file x.c +p" quiet -- cgroup.memory=nokmem');
  assert.equal(b.nokmem, false);
  assert.equal(parseCmdline('"cgroup.memory=nokmem"').nokmem, true);
});

test("cmdline: this machine's real /proc/cmdline parses without surprises", async () => {
  const fs = await import("node:fs");
  const text = fs.readFileSync("/proc/cmdline", "utf8");
  const b = parseCmdline(text);
  assert.equal(b.raw, text.trim());
  assert.equal(b.nokmem, /(^|\s)cgroup\.memory=\S*nokmem/.test(text.split(" -- ")[0] ?? ""));
});

test("cmdline: empty and garbage input never throw", () => {
  assert.equal(parseCmdline("").nokmem, false);
  assert.equal(parseCmdline('\u0000\u0001 ==== = "unterminated').cgroupNoV1, null);
});
