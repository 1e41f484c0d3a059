import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyFixture, runCli } from "../testing/fixtures.js";
import { escapeControls, escapeName } from "../sinks/terminal.js";

/** Control characters in cgroup names never reach the terminal raw (issue 20 item 5). */
test("scan's text shows a cgroup named with escape sequences and a newline as \\xNN, on one line", () => {
  const root = copyFixture("hybrid-v1-memory");
  try {
    const evil = "evil\x1b[2J\x1b[31mX\nOK: fake line";
    fs.mkdirSync(path.join(root, "sys/fs/cgroup/memory/kubepods", evil), { recursive: true });
    const file = path.join(root, "proc/cgroups");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("memory\t4\t13\t1", "memory\t4\t15\t1"));
    const r = runCli(["scan", "--host-root", root]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /\x1b/);
    assert.doesNotMatch(r.stdout, /^OK: fake line/m);
    assert.match(r.stdout, /kubepods\/evil\\x1b\[2J\\x1b\[31mX\\x0aOK: fake line/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("escapeControls keeps line breaks and printable text, escapes C0, DEL and C1", () => {
  assert.equal(escapeControls("a\tb\nc\x7f\x9bé"), "a\\x09b\nc\\x7f\\x9bé");
  assert.equal(escapeName("a\nb"), "a\\x0ab");
});
