import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { tempHost } from "../testing/fixtures.js";
import { selfOwner, processNow } from "./trace-owner.js";
import { privateMounts } from "./tracefs.js";

const BOOT = "49fb9bb9-163d-4253-9e7c-5b716207f09e\n";
const stat = (pid: number, start: number): string =>
  `${pid} (node) S 1 ${pid} 1 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 11 0 ${start} 1000 100 18446744073709551615 0\n`;
const MOUNT = "/tmp/cgleak-tracefs-cgleak-42-777-4026531836-49fb9bb9163d42539e7c5b716207f09e.QLiS6u";

/** A host whose /proc/self is pid 42, NSpid as given, its ns links pointing where `links` says. */
function withHost(nspid: string, links: Record<string, string>, run: (h: Host) => void): void {
  const root = tempHost({
    "proc/sys/kernel/random/boot_id": BOOT,
    "proc/self/stat": stat(42, 777),
    "proc/self/status": `Name:\tnode\nPid:\t42\nNSpid:\t${nspid}\n`,
    "proc/77/stat": stat(77, 900).replace(" S ", " Z "),
    "proc/self/mountinfo":
      `60 26 0:13 / ${MOUNT} rw,relatime - tracefs nodev rw\n` +
      "61 26 0:13 / /tmp/cgleak-tracefs-AbC123 rw,relatime - tracefs nodev rw\n" +
      "62 26 0:13 / /sys/kernel/tracing rw,relatime - tracefs nodev rw\n",
  });
  try {
    for (const [file, target] of Object.entries(links)) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.symlinkSync(target, path.join(root, file));
    }
    run(new Host(root));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

test("selfOwner: our own namespace when NSpid has one level; the procfs's pid 1's when nested; else 0", () => {
  const links = { "proc/self/ns/pid": "pid:[4026531836]", "proc/1/ns/pid": "pid:[4026531000]" };
  const owner = { pid: 42, startTime: 777, bootId: "49fb9bb9163d42539e7c5b716207f09e" };
  withHost("42", links, (h) => assert.deepEqual(selfOwner(h), { ...owner, pidNs: 4026531836 }));
  withHost("42\t7", links, (h) => assert.deepEqual(selfOwner(h), { ...owner, pidNs: 4026531000 }));
  withHost("42\t7", { "proc/self/ns/pid": "pid:[4026531836]" }, (h) => assert.equal(selfOwner(h).pidNs, 0));
});

test("processNow: start time and zombie state, null for no pid; privateMounts reads the names mounts carry", () => {
  withHost("42", {}, (h) => {
    assert.deepEqual(processNow(h, 77), { startTime: 900, zombie: true });
    assert.equal(processNow(h, 78), null);
    assert.deepEqual(privateMounts(h), [
      { mountPoint: MOUNT, instanceName: "cgleak-42-777-4026531836-49fb9bb9163d42539e7c5b716207f09e" },
    ]);
  });
});
