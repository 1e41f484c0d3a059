import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { noSwapReason } from "./repro-swap-ids.js";
import { REPO } from "../lab/qemu.js";

// The swap-ids reproduction itself runs in the qemu lab (src/lab/swap-ids.lab.test.ts), where the
// guest has a swap file; this machine has none, so here the real kernel shows the refusal.
const swaps = fs.readFileSync("/proc/swaps", "utf8");
const cli = path.join(REPO, "dist/cli/cgleak.cjs");
const skip =
  process.platform !== "linux"
    ? "needs Linux"
    : process.getuid?.() !== 0
      ? "needs root (the root check comes first)"
      : noSwapReason(swaps) === undefined
        ? "this host has swap: the refusal cannot be shown here"
        : !fs.existsSync(cli)
          ? "cgleak is not built"
          : false;

test("repro --mode swap-ids refuses in one line where there is no swap, and makes nothing", { skip }, () => {
  const before = fs.readdirSync("/sys/fs/cgroup/memory").filter((d) => d.startsWith(`cgleak-repro-`));
  const r = spawnSync(process.execPath, [cli, "repro", "--mode", "swap-ids"], { encoding: "utf8" });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(
    r.stderr,
    "cgleak repro: swap-ids needs swap: /proc/swaps lists none on this host (without swap no dying memcg keeps its ID; swapon a device or file first)\n",
  );
  const after = fs.readdirSync("/sys/fs/cgroup/memory").filter((d) => d.startsWith(`cgleak-repro-`));
  assert.deepEqual(after, before);
});

test("/proc/swaps with a device is swap on; the header alone is none", () => {
  const header = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
  assert.match(noSwapReason(header) ?? "", /lists none/);
  assert.equal(
    noSwapReason(`${header}/mnt/ext4/swap                          file\t\t65532\t\t1024\t\t-2\n`),
    undefined,
  );
  assert.match(noSwapReason(undefined) ?? "", /cannot be read/);
});
