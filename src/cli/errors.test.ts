import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { CLI, copyFixture, runCli } from "../testing/fixtures.js";

/** Errors that say what failed, in one line and without a stack (issue 20 item 7). */
const V1 = "hybrid-v1-memory";
const MEM = "sys/fs/cgroup/memory";

function withFixture(
  prepare: (root: string) => void,
  run: (root: string) => { status: number | null; stdout: string; stderr: string },
  expected: RegExp,
): void {
  const root = copyFixture(V1);
  try {
    prepare(root);
    const r = run(root);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^cgleak: [^\n]*\n$/, "exactly one line");
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stderr, /\n\s+at |cgroup_disable/);
  } finally {
    // rm(1) walks one directory at a time: fs.rmSync fails on trees deeper than PATH_MAX.
    spawnSync("rm", ["-rf", root]);
  }
}

const scan = (root: string): ReturnType<typeof runCli> => runCli(["scan", "--host-root", root]);

test("a missing mountinfo is an unreadable host, not a kernel without the memory controller", () => {
  withFixture(
    (r) => fs.rmSync(path.join(r, "proc/1/mountinfo")),
    scan,
    /^cgleak: Cannot read \/proc\/1\/mountinfo \(and \/proc\/self\/mountinfo\): no such file\n$/,
  );
});

test("a mount point that is a file is named, not a stack trace", () => {
  withFixture(
    (r) => {
      fs.rmSync(path.join(r, MEM), { recursive: true });
      fs.writeFileSync(path.join(r, MEM), "x");
    },
    scan,
    /^cgleak: Cannot read \/sys\/fs\/cgroup\/memory: not a directory\n$/,
  );
});

test("a NUL byte in mountinfo is named with its line", () => {
  withFixture(
    (r) =>
      fs.writeFileSync(
        path.join(r, "proc/1/mountinfo"),
        "34 30 0:31 / /sys/fs/cgroup/mem\0ory rw - cgroup cgroup rw,memory\n",
      ),
    scan,
    /^cgleak: Cannot parse \/proc\/1\/mountinfo line 1: a NUL byte/,
  );
});

test("a path too long for the kernel is named, cut to one readable line", () => {
  withFixture(
    (r) => {
      // mkdir(1) -p goes one directory at a time, so it can make what no one path can name.
      const deep = Array.from({ length: 24 }, () => "x".repeat(200)).join("/");
      assert.equal(spawnSync("mkdir", ["-p", deep], { cwd: path.join(r, MEM) }).status, 0);
    },
    (r) => runCli(["scan", "--deep", "--host-root", r]),
    /^cgleak: Cannot read \/sys\/fs\/cgroup\/memory\/x+\.\.\.x+(\/x+)?: the path is too long\n$/,
  );
});

test(
  "an unreadable cgroup directory is named, not a raw EACCES ... chdir",
  { skip: process.getuid?.() !== 0 ? "needs root to run the bin as another user" : false },
  () => {
    withFixture(
      (r) => {
        // The temp dir's parent is /tmp itself (sticky, world-writable): only the tree is opened up.
        spawnSync("chmod", ["-R", "a+rX", r]);
        fs.chmodSync(path.join(r, MEM, "workload"), 0o700);
      },
      (r) => {
        const p = spawnSync(process.execPath, [CLI, "scan", "--host-root", r], {
          encoding: "utf8",
          uid: 65534,
          gid: 65534,
        });
        return { status: p.status, stdout: p.stdout, stderr: p.stderr };
      },
      /^cgleak: Cannot read \/sys\/fs\/cgroup\/memory\/workload: permission denied\n$/,
    );
  },
);

test(
  "reclaim on a directory that is not a cgroup is refused in one line, before any write",
  { skip: process.getuid?.() !== 0 ? "reclaim needs root" : false },
  () => {
    withFixture(
      (r) => fs.writeFileSync(path.join(r, MEM, "workload/cgroup.procs"), ""),
      (r) => {
        const out = runCli(["reclaim", "--force-empty", "workload/x", "--yes", "--with-processes", "--host-root", r]);
        fs.mkdirSync(path.join(r, MEM, "workload/x"));
        const refused = runCli([
          "reclaim",
          "--force-empty",
          "workload/x",
          "--yes",
          "--with-processes",
          "--host-root",
          r,
        ]);
        assert.equal(out.status, 2);
        assert.match(out.stderr, /no such cgroup/);
        assert.ok(!fs.existsSync(path.join(r, MEM, "workload/x/memory.force_empty")), "nothing written");
        return { ...refused, stderr: refused.stderr.split("\n").slice(1).join("\n") };
      },
      /^cgleak: Refusing to act on \/sys\/fs\/cgroup\/memory\/workload\/x: \S+ is not on a cgroup filesystem \(statfs type 0x[0-9a-f]+\)\n$/,
    );
  },
);
