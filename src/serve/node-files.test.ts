import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { copyFixture, setMemcgTotal } from "../testing/fixtures.js";
import { runCheck } from "../testing/kube-check.js";
import { startServe, waitFor } from "../testing/serve.js";

/**
 * One `cgleak serve` on a fixture host whose kernel counter is rewritten between samples: kured's
 * sentinel and node-problem-detector's status file follow each assessment, and say what
 * `cgleak check` says of the same tree.
 */
const NPD_CONFIG = fileURLToPath(
  new URL("../../deploy/node-problem-detector/cgleak-plugin-monitor.json", import.meta.url),
);
const npdCommand = (JSON.parse(fs.readFileSync(NPD_CONFIG, "utf8")) as { rules: Array<{ args: string[] }> }).rules[0]
  ?.args[1] as string;
const noDash = fs.existsSync("/usr/bin/dash") ? false : "/usr/bin/dash is missing (apt-get install dash)";

/** What the shipped NPD command answers on this file, run by dash as NPD's /bin/sh would. */
function npdReads(file: string): { code: number | null; line: string } {
  const r = spawnSync("/usr/bin/dash", ["-c", npdCommand], {
    encoding: "utf8",
    env: { PATH: "/usr/bin:/bin", CGLEAK_NPD_STATUS: file },
  });
  return { code: r.status, line: r.stdout.trimEnd() };
}

/** Waits until the status file holds `code`, then checks it against `cgleak check` and NPD's reader. */
async function npdSays(file: string, host: string, code: number): Promise<string> {
  const text = await waitFor(`npd-status with code ${code}`, 15_000, async () => {
    const t = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    return t.startsWith(`${code} `) ? t : undefined;
  });
  const [head, line] = text.split("\n") as [string, string];
  assert.match(head, /^[012] \d{10}$/);
  const check = runCheck(["--host-root", host, "--problem-at", "critical"]);
  assert.deepEqual(
    { code: Number(head[0]), line },
    { code: check.status, line: check.stdout.trimEnd() },
    "the same verdict as `cgleak check`",
  );
  if (!noDash) assert.deepEqual(npdReads(file), { code, line }, "NPD's command passes it through");
  return line;
}

test("serve --reboot-sentinel and --npd-status follow the assessment: reboot needed, then not, then again; Unknown when the host turns unreadable", async () => {
  const host = copyFixture("centos7-v1-near-cap");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-node-files-"));
  const sentinel = path.join(out, "reboot-required");
  const status = path.join(out, "npd-status");
  const served = await startServe([
    "--host-root",
    host,
    "--db",
    ":memory:",
    "--interval",
    "200ms",
    "--walk-interval",
    "1s",
    "--reboot-sentinel",
    sentinel,
    "--npd-status",
    status,
    "--problem-at",
    "critical",
  ]);
  try {
    assert.ok(
      fs.existsSync(sentinel),
      "near the cap on RHEL 7, only a reboot frees the IDs: the first walk wrote the sentinel",
    );
    assert.match(await npdSays(status, host, 1), /^CRITICAL: memcg IDs 65,530\/65,535 .*reboot needed/);

    // The 65,469 dying memcgs are gone: 61 live + 9 dying. Still a WARNING (the kernel leaks
    // kmem-accounted memcgs), which --problem-at critical does not count as a problem.
    setMemcgTotal(host, 70);
    await waitFor("the sentinel to go", 15_000, async () => (fs.existsSync(sentinel) ? undefined : true));
    assert.match(await npdSays(status, host, 0), /^WARNING: memcg IDs 70\/65,535/);

    setMemcgTotal(host, 65_530);
    await waitFor("the sentinel to return", 15_000, async () => (fs.existsSync(sentinel) ? true : undefined));
    await npdSays(status, host, 1);

    fs.rmSync(path.join(host, "proc/cgroups"));
    const text = await waitFor("npd-status Unknown", 15_000, async () =>
      fs.existsSync(status) && fs.readFileSync(status, "utf8").startsWith("2 ")
        ? fs.readFileSync(status, "utf8")
        : undefined,
    );
    assert.match(text.split("\n")[1] as string, /^UNKNOWN: .*cgroups/, "says what failed");
    assert.deepEqual(fs.readdirSync(out).sort(), ["npd-status", "reboot-required"], "no temporary file left behind");
  } finally {
    await served.stop();
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(host, { recursive: true, force: true });
  }
});

test("serve --npd-status in a directory that does not exist is refused at start with one line", () => {
  const r = spawnSync(
    process.execPath,
    [
      fileURLToPath(new URL("../cli/cgleak.cjs", import.meta.url)),
      "serve",
      "--db",
      ":memory:",
      "--npd-status",
      "/nonexistent/cgleak/npd-status",
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 2);
  assert.equal(r.stderr, "cgleak serve: --npd-status: the directory /nonexistent/cgleak does not exist\n");
});
