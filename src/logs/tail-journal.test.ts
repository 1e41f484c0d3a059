import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Host } from "../host/host.js";
import { scanLogs } from "./scan-logs.js";
import { LogTailer } from "./tail.js";

/** A real journal, written by systemd-journal-remote from journal export format, read by the real journalctl. */
const REMOTE = ["/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"].find((p) =>
  fs.existsSync(p),
);
const hasJournalctl = spawnSync("journalctl", ["--version"]).status === 0;
const skip = REMOTE && hasJournalctl ? false : "needs journalctl and systemd-journal-remote";
const ENOSPC = "mkdir /sys/fs/cgroup/memory/kubepods/besteffort/pod1: no space left on device";

let mono = 0;
function append(journal: string, at: Date, ident: string, message: string): void {
  mono += 1;
  const entry = [
    `__REALTIME_TIMESTAMP=${at.getTime() * 1000}`,
    `__MONOTONIC_TIMESTAMP=${mono}`,
    "_BOOT_ID=0123456789abcdef0123456789abcdef",
    "_HOSTNAME=n1",
    `SYSLOG_IDENTIFIER=${ident}`,
    `MESSAGE=${message}`,
  ];
  const r = spawnSync(REMOTE as string, [`--output=${journal}`, "-"], { input: `${entry.join("\n")}\n\n` });
  assert.equal(r.status, 0, r.stderr.toString());
}

test("tail: the journal followed by cursor: each entry counts once, the sum is the full read", { skip }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-journal-"));
  try {
    const journal = path.join(root, "var/log/journal/remote.journal");
    fs.mkdirSync(path.dirname(journal), { recursive: true });
    const now = new Date();
    const since = new Date(now.getTime() - 86_400_000);
    append(journal, new Date(now.getTime() - 2 * 86_400_000), "kubelet", ENOSPC);
    append(journal, new Date(now.getTime() - 3_600_000), "kubelet", ENOSPC);
    const host = new Host(root);
    const tailer = new LogTailer({ since, host });
    const check = async (): Promise<number> => (await tailer.check([{ type: "journal" }], now)).total;
    assert.equal(await check(), 1, "the entry of two days ago is before since");
    assert.equal(await check(), 0, "nothing after the cursor");
    append(journal, new Date(now.getTime() - 60_000), "dockerd", ENOSPC);
    append(journal, new Date(now.getTime() - 50_000), "systemd", "Started Session 5.");
    assert.equal(await check(), 1);
    const full = await scanLogs([{ type: "journal" }], { since, host, now });
    assert.deepEqual(tailer.running().findings, full.findings);
    assert.deepEqual(full.findings[0]?.components, { kubelet: 1, dockerd: 1 });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
