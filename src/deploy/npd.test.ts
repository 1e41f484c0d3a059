import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as os from "node:os";
import { spawnSync } from "node:child_process";
import * as yaml from "js-yaml";
import { TESTDATA } from "../testing/fixtures.js";
import { npdStatusText } from "../serve/npd-status.js";

const NPD_DIR = fileURLToPath(new URL("../../deploy/node-problem-detector/", import.meta.url));
const LOG_CONFIGS = ["memcg-log-monitor.json", "memcg-kmsg-monitor.json"];
const read = (f: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(NPD_DIR, f), "utf8")) as Record<string, unknown>;
const rulesOf = (f: string) => read(f).rules as Array<{ type: string; reason: string; pattern: string }>;

/**
 * NPD compiles `pattern + "\z"` with Go's RE2 and matches it against one log message (older
 * releases: the buffered messages joined by "\n"). JS `$` without the m flag is `\z`. RE2 has no
 * lookaround, backreferences or possessive forms, so a pattern using them would not even load.
 */
function npdRegex(pattern: string): RegExp {
  assert.doesNotMatch(pattern, /\(\?[=!<]|\\[1-9]|\(\?i\)|[*+?}]\+/, `not RE2-compatible: ${pattern}`);
  return new RegExp(`(?:${pattern})$`, "u");
}

interface Row {
  label: string;
  source: string;
  line: string;
}
const corpus = fs
  .readFileSync(path.join(TESTDATA, "logs", "corpus.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as Row);

test("NPD system-log-monitor configs: well-formed, temporary rules with a reason and an RE2 pattern", () => {
  for (const f of LOG_CONFIGS) {
    const c = read(f);
    assert.ok(["journald", "kmsg", "filelog"].includes(c.plugin as string), `${f}: plugin`);
    assert.equal(typeof c.source, "string");
    for (const r of rulesOf(f)) {
      assert.equal(r.type, "temporary", `${f}: ${r.reason}`);
      assert.match(r.reason, /^[A-Z][A-Za-z]+$/);
      npdRegex(r.pattern);
    }
  }
});

test("NPD regexes over the labelled log corpus: precision and recall >= 0.9, computed", () => {
  const res = LOG_CONFIGS.flatMap((f) => rulesOf(f).map((r) => npdRegex(r.pattern)));
  // NPD sees one journal message at a time. Rows copied from web pages and terminals are wrapped,
  // which a journal message never is: a row counts as found if one of its physical lines matches,
  // or the message it was wrapped from (lines joined with "" for a hard wrap, " " for a word wrap).
  const messages = (row: Row): string[] => [
    ...row.line.split("\n"),
    row.line.replace(/\n/g, ""),
    row.line.replace(/\n/g, " "),
  ];
  const hit = (row: Row): boolean => messages(row).some((l) => res.some((re) => re.test(l)));
  let tp = 0,
    fp = 0,
    fn = 0;
  const misses: string[] = [];
  // "possible" rows (a lone SLUB line) are neither a signature NPD must catch nor one it must not.
  for (const row of corpus.filter((r) => !r.label.endsWith("-possible"))) {
    const positive = row.label !== "negative";
    const h = hit(row);
    if (h && positive) tp++;
    else if (h) {
      fp++;
      misses.push(`false positive (${row.source}): ${row.line.slice(0, 120)}`);
    } else if (positive) {
      fn++;
      misses.push(`missed ${row.label} (${row.source}): ${row.line.slice(0, 120)}`);
    }
  }
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  const negatives = corpus.filter((r) => r.label === "negative").length;
  assert.ok(tp + fn >= 40 && negatives >= 50, `corpus too small: ${tp + fn} positives, ${negatives} negatives`);
  const summary = `precision ${precision.toFixed(3)} recall ${recall.toFixed(3)} (tp ${tp}, fp ${fp}, fn ${fn})\n${misses.join("\n")}`;
  assert.ok(precision >= 0.9, summary);
  assert.ok(recall >= 0.9, summary);
  console.log(`# NPD regexes: ${summary}`);
});

const plugin = read("cgleak-plugin-monitor.json");
const [statusRule] = plugin.rules as Array<{ type: string; condition: string; path: string; args: string[] }>;

test("NPD custom-plugin-monitor: a permanent rule runs POSIX sh on cgleak serve's status file, no Node", () => {
  assert.equal(plugin.plugin, "custom");
  const cfg = plugin.pluginConfig as Record<string, unknown>;
  assert.equal(cfg.max_output_length, 80, "the status line is at most 80 bytes; NPD must not cut less");
  assert.deepEqual(
    (plugin.conditions as Array<{ type: string }>).map((x) => x.type),
    ["MemoryCgroupLeak"],
  );
  assert.equal(statusRule?.type, "permanent");
  assert.equal(statusRule?.condition, "MemoryCgroupLeak");
  assert.equal(statusRule?.path, "/bin/sh", "NPD's image has a shell, not Node");
  assert.deepEqual(statusRule?.args.slice(0, 1), ["-c"]);
  assert.match(statusRule?.args[1] ?? "", /\/var\/run\/cgleak\/npd-status/);
  assert.doesNotMatch(
    statusRule?.args[1] ?? "",
    /\[\[|\bfunction\b|\$\{[^}]*(\/\/|\^|,)|<<<|\becho\b/,
    "no bash-isms (and no echo: dash's interprets backslashes)",
  );
});

const SHELLS: Array<{ name: string; argv: string[]; skip: string | false; path?: string }> = [
  {
    name: "dash",
    argv: ["/usr/bin/dash", "-c"],
    skip: fs.existsSync("/usr/bin/dash") ? false : "/usr/bin/dash is missing (apt-get install dash)",
  },
  {
    name: "busybox sh",
    argv: ["/usr/bin/busybox", "sh", "-c"],
    skip: fs.existsSync("/usr/bin/busybox") ? false : "/usr/bin/busybox is missing (apt-get install busybox-static)",
  },
];

/** A PATH holding only busybox applets, as in a busybox-based NPD image. */
function busyboxPath(dir: string): string {
  const bin = path.join(dir, "bb");
  fs.mkdirSync(bin);
  for (const applet of ["date", "cat", "test", "["]) fs.symlinkSync("/usr/bin/busybox", path.join(bin, applet));
  return bin;
}

function runPlugin(
  argv: string[],
  file: string,
  env: Record<string, string>,
): { code: number | null; out: string; err: string } {
  const r = spawnSync(argv[0] as string, [...argv.slice(1), statusRule?.args[1] as string], {
    encoding: "utf8",
    env: { ...env, CGLEAK_NPD_STATUS: file },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

for (const sh of SHELLS) {
  test(
    `NPD status command under ${sh.name}: fresh files pass their code and line; stale, missing, broken ones are Unknown (2)`,
    { skip: sh.skip },
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-npd-"));
      try {
        const env = { PATH: sh.name === "dash" ? "/usr/bin:/bin" : busyboxPath(dir) };
        const file = path.join(dir, "npd-status");
        const now = Math.floor(Date.now() / 1000);
        const cases: Array<[string, string | null, number, RegExp]> = [
          [
            "fresh problem",
            writeText(verdictFile(1, "CRITICAL: memcg IDs 65,530/65,535 (99.9 %), 65,469 dying hold IDs", 0)),
            1,
            /^CRITICAL: memcg IDs 65,530\/65,535 \(99\.9 %\), 65,469 dying hold IDs\n$/,
          ],
          [
            "fresh ok",
            writeText(verdictFile(0, "OK: memcg IDs 5/65,535 (0.0 %), 0 dying", 2)),
            0,
            /^OK: memcg IDs 5\/65,535 \(0\.0 %\), 0 dying\n$/,
          ],
          ["backslashes kept", writeText(verdictFile(0, String.raw`OK: a\nb \c`, 0)), 0, /^OK: a\\nb \\c\n$/],
          [
            "written 290 s ago, within the 300 s allowed",
            writeText(verdictFile(1, "WARNING: x", 290)),
            1,
            /^WARNING: x\n$/,
          ],
          [
            "stale",
            writeText(verdictFile(0, "OK: old news", 3600)),
            2,
            /^UNKNOWN: \S+ is 36\d\ds old: cgleak serve stopped\?\n$/,
          ],
          ["missing", null, 2, /^UNKNOWN: no \S+: is cgleak serve --npd-status running\?\n$/],
          ["half written", writeText("1 "), 2, /^UNKNOWN: \S+ is incomplete\n$/],
          ["bad code", writeText(`7 ${now}\nOK\n`), 2, /^UNKNOWN: \S+: bad exit code\n$/],
          ["bad time", writeText(`0 soon\nOK\n`), 2, /^UNKNOWN: \S+: bad time\n$/],
        ];
        for (const [what, text, code, out] of cases) {
          fs.rmSync(file, { force: true });
          if (text !== null) fs.writeFileSync(file, text);
          const r = runPlugin(sh.argv, file, env);
          assert.equal(
            r.code,
            code,
            `${sh.name}, ${what}: exit ${r.code}, stdout ${JSON.stringify(r.out)}, stderr ${r.err}`,
          );
          assert.match(r.out, out, `${sh.name}, ${what}`);
          assert.equal(r.err, "", `${sh.name}, ${what}: nothing on stderr`);
          // Measured with the shipped path: the test's own file lives in a longer temp path.
          const shipped = r.out.replaceAll(file, "/var/run/cgleak/npd-status");
          assert.ok(
            Buffer.byteLength(shipped) <= 81,
            `${sh.name}, ${what}: at most 80 bytes and a newline: ${shipped}`,
          );
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      function verdictFile(code: number, line: string, ageSeconds: number): string {
        return npdStatusText({ code, line }, (Math.floor(Date.now() / 1000) - ageSeconds) * 1000);
      }
      function writeText(t: string): string {
        return t;
      }
    },
  );
}

test("NPD's one mount: the patch for NPD's DaemonSet mounts the host directory the command reads, read-only", () => {
  const patch = yaml.load(fs.readFileSync(path.join(NPD_DIR, "npd-daemonset-patch.yaml"), "utf8")) as Record<
    string,
    any
  >; // eslint-disable-line @typescript-eslint/no-explicit-any
  const spec = patch.spec.template.spec;
  const file = /CGLEAK_NPD_STATUS:-([^}]+)\}/.exec(statusRule?.args[1] ?? "")?.[1] as string;
  const mount = spec.containers[0].volumeMounts[0];
  assert.equal(mount.readOnly, true);
  assert.equal(path.dirname(file), mount.mountPath, "the command's file is in the mounted directory");
  assert.equal(
    spec.volumes.find((v: { name: string }) => v.name === mount.name).hostPath.path,
    mount.mountPath,
    "same path on the host",
  );
});
