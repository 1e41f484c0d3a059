import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Host } from "../host/host.js";
import { collectRuntimes } from "./runtimes.js";
import { parseVersionOverrides } from "../knowledge/runtime-facts.js";
import type { ToolVersion } from "../parsers/runtime-version.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-runtimes-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function put(hostPath: string, body: string, mode = 0o755): void {
  const p = path.join(root, hostPath);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, body, { mode });
}
// Run as nobody, the planted binaries must be reachable and their marks writable by nobody.
fs.chmodSync(root, 0o755);
const MARKS = path.join(root, "marks");
fs.mkdirSync(MARKS);
fs.chmodSync(MARKS, 0o1777);
const PIDFILE = path.join(MARKS, "hang.pid");

// A CentOS 7 style node: runc rc92, a kubelet that hangs, a containerd that prints garbage,
// a dockerd that is not executable, crio behind an absolute symlink, merged /usr.
put(
  "/usr/bin/runc",
  "#!/bin/sh\nprintf 'runc version 1.0.0-rc92\\ncommit: ff819c7e9184c13b7c2607fe6c30ae19403a7aff\\nspec: 1.0.2-dev\\n'\n",
);
put("/usr/local/bin/kubelet", `#!/bin/sh\nsleep 30 &\necho $! > ${PIDFILE}\nwait\n`);
put("/usr/bin/containerd", "#!/bin/sh\nprintf '\\177ELF\\001\\001 garbage \\000\\n'\nexit 3\n");
put("/usr/sbin/dockerd", "#!/bin/sh\necho 'Docker version 18.09.1, build 4c52b90'\n", 0o644);
put(
  "/usr/libexec/crio/crio",
  "#!/bin/sh\nprintf 'crio version 1.18.3\\nVersion:       1.18.3\\nGitCommit:     61de18161fb4ccda720768c001713592b5a04e46\\n'\n",
);
fs.mkdirSync(path.join(root, "/opt/bin"), { recursive: true });
fs.symlinkSync("/usr/libexec/crio/crio", path.join(root, "/opt/bin/crio"));
fs.symlinkSync("usr/bin", path.join(root, "/bin"));

const MARKER = path.join(MARKS, "EXECUTED");
// Every planted file would leave a marker if anything ran it.
for (const f of ["/usr/bin/runc", "/usr/local/bin/kubelet", "/usr/bin/containerd", "/usr/libexec/crio/crio"]) {
  const p = path.join(root, f);
  fs.writeFileSync(
    p,
    fs.readFileSync(p, "utf8").replace("#!/bin/sh\n", `#!/bin/sh\necho "$(id -u) $0" >> ${MARKER}\n`),
    { mode: 0o755 },
  );
}

const byTool = (vs: ToolVersion[], tool: string) => vs.filter((v) => v.tool === tool);
const raw = (v: ToolVersion | undefined) => (v && v.version !== "unknown" ? v.version.raw : "unknown");

test("runtimes: by default nothing under the host root is executed, and the reasons say why versions are unknown", async () => {
  fs.rmSync(MARKER, { force: true });
  const r = await collectRuntimes(new Host(root));
  assert.equal(fs.existsSync(MARKER), false, "a planted script ran");
  for (const v of r.versions) {
    assert.equal(v.version, "unknown");
    assert.match(v.origin ?? "", /not run/);
    assert.match(v.reason ?? "", /no Go build info and no version string found|not a regular file|cannot open/);
  }
  assert.equal(byTool(r.versions, "runc").length, 1, "merged /usr: /bin/runc and /usr/bin/runc are one binary");
  assert.equal(
    byTool(r.versions, "crio").length,
    1,
    "/opt/bin/crio is a link to /usr/libexec/crio/crio inside the root",
  );
});

test("runtimes: --exec-versions runs fine, hanging, garbage and non-executable binaries unprivileged", async () => {
  fs.rmSync(MARKER, { force: true });
  // Generous: this machine's load reaches 20 on 2 CPUs, and the sandbox (unshare, setpriv, sh) starts three programs.
  const r = await collectRuntimes(new Host(root), { timeoutMs: 5000, exec: true });

  const runc = byTool(r.versions, "runc");
  assert.equal(runc.length, 1, "merged /usr: /bin/runc and /usr/bin/runc are one binary");
  assert.equal(raw(runc[0]), "1.0.0-rc92", runc[0]?.reason);
  assert.match(runc[0]?.origin ?? "", /^\/usr\/bin\/runc --version, run .*\(--exec-versions\)$/);
  if (process.getuid?.() === 0) {
    assert.match(runc[0]?.origin ?? "", /as nobody .*no_new_privs.*no network/);
    const uids = fs
      .readFileSync(MARKER, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" ")[0]);
    assert.ok(uids.length >= 3 && uids.every((u) => u === "65534"), `ran as ${uids.join(",")}, not nobody`);
  }

  const kubelet = byTool(r.versions, "kubelet")[0];
  assert.equal(kubelet?.version, "unknown");
  assert.match(kubelet?.reason ?? "", /no answer to --version within 5000 ms \(killed\)/);

  const containerd = byTool(r.versions, "containerd")[0];
  assert.equal(containerd?.version, "unknown");
  assert.match(containerd?.reason ?? "", /unrecognised containerd version output.*exit code 3/);

  const dockerd = byTool(r.versions, "dockerd")[0];
  assert.equal(dockerd?.version, "unknown");
  assert.match(dockerd?.reason ?? "", /\/usr\/sbin\/dockerd: not executable/);

  const crio = byTool(r.versions, "crio");
  assert.equal(crio.length, 1, "/opt/bin/crio is a link to /usr/libexec/crio/crio inside the root");
  assert.equal(raw(crio[0]), "1.18.3");
  assert.deepEqual(r.missing, []);
});

test("runtimes: the hung binary's whole process group is killed", async () => {
  fs.rmSync(PIDFILE, { force: true });
  await collectRuntimes(new Host(root), {
    timeoutMs: 300,
    exec: true,
    overrides: parseVersionOverrides("runc=1.0.0-rc92,containerd=1.2.0,dockerd=18.9.1,crio=1.18.3"),
  });
  const pid = Number(fs.readFileSync(PIDFILE, "utf8").trim());
  assert.ok(pid > 1);
  // Allow the kernel a moment to deliver SIGKILL; a reaped or zombie child counts as gone.
  for (let i = 0; i < 20 && alive(pid); i++) await new Promise((res) => setTimeout(res, 50));
  assert.equal(alive(pid), false, `sleep ${pid} still running`);
});

test("runtimes: overrides replace probing; missing tools are listed; PATH dirs come first", async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-runtimes-empty-"));
  fs.chmodSync(empty, 0o755);
  try {
    fs.mkdirSync(path.join(empty, "custom/bin"), { recursive: true });
    fs.writeFileSync(path.join(empty, "custom/bin/docker-runc"), "#!/bin/sh\necho 'runc version 1.0.0-rc2'\n", {
      mode: 0o755,
    });
    const r = await collectRuntimes(new Host(empty), {
      exec: true,
      pathEnv: "/custom/bin:relative/ignored",
      overrides: parseVersionOverrides("kubelet=1.18.3"),
    });
    assert.deepEqual(r.missing, ["containerd", "dockerd", "crio"]);
    assert.equal(raw(byTool(r.versions, "runc")[0]), "1.0.0-rc2");
    assert.equal(byTool(r.versions, "kubelet")[0]?.origin, "override (--versions)");
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test("runtimes: absolute symlinks resolve inside the host root, never outside", () => {
  const host = new Host(root);
  assert.equal(host.realpathUnderRoot("/opt/bin/crio"), "/usr/libexec/crio/crio");
  assert.equal(host.realpathUnderRoot("/bin/runc"), "/usr/bin/runc");
  assert.equal(host.realpathUnderRoot("/nope/runc"), undefined);
});

test(
  "runtimes: this real host (/) gives Debian's runc version from the file, without running it",
  { skip: fs.existsSync("/usr/sbin/runc") ? false : "runc not installed here" },
  async () => {
    const r = await collectRuntimes(new Host("/"));
    const runc = byTool(r.versions, "runc");
    assert.ok(runc.length >= 1);
    assert.match(raw(runc[0]), /^\d+\.\d+\.\d+/);
    assert.match(runc[0]?.origin ?? "", /not run/);
    const pkg = /^Version: (\S+)/m.exec(
      spawnSync("dpkg-query", ["-s", "runc"], { encoding: "utf8" }).stdout ?? "",
    )?.[1];
    if (pkg) assert.ok(pkg.startsWith(raw(runc[0])), `binary says ${raw(runc[0])}, dpkg says ${pkg}`);
  },
);

test("runtimes: dpkg's database names packaged tools whose binaries are elsewhere", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-test-runtimes-dpkg-"));
  try {
    fs.mkdirSync(path.join(dir, "var/lib/dpkg"), { recursive: true });
    fs.writeFileSync(
      path.join(dir, "var/lib/dpkg/status"),
      "Package: kubelet\nStatus: install ok installed\nVersion: 1.18.3-00\n\nPackage: docker-ce\nStatus: install ok installed\nVersion: 5:19.03.8~3-0~ubuntu-bionic\n\nPackage: runc\nStatus: deinstall ok config-files\nVersion: 1.0.0~rc10-0ubuntu1\n",
    );
    const r = await collectRuntimes(new Host(dir));
    assert.deepEqual(
      r.versions.map((v) => [v.tool, raw(v)]),
      [
        ["kubelet", "1.18.3-00"],
        ["dockerd", "19.03.8~3-0~ubuntu-bionic"],
      ],
    );
    assert.deepEqual(r.missing, ["runc", "containerd", "crio"], "a removed package is not installed");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
