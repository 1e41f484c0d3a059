import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../scan.js";
import { fixtureRoot } from "../testing/fixtures.js";

// The fixture hosts `npm run lab:capture` read off real v2 kernels (lab/v2/scenarios/kubepods.sh).
// That scenario's design fixes every number below; a recapture that disagrees is a finding.
const KIB64 = 65536;
const CGROUP_FILES = [
  "cgroup.stat",
  "cgroup.events",
  "cgroup.controllers",
  "cgroup.subtree_control",
  "cgroup.procs",
  "memory.stat",
  "memory.current",
];
// Each dead pod's sandbox and containers wrote 64 KiB: burstable 3 pods x 2, besteffort 2 x 2, guaranteed 1 x 3.
const EXPECTED = {
  live: 32,
  dying: 19,
  subtrees: {
    "kubepods.slice": { live: 25, dying: 19, pinnedBytes: 13 * KIB64 },
    "kubepods.slice/kubepods-burstable.slice": { live: 14, dying: 9, pinnedBytes: 6 * KIB64 },
    "kubepods.slice/kubepods-besteffort.slice": { live: 7, dying: 6, pinnedBytes: 4 * KIB64 },
    "system.slice": { live: 4, dying: 0, pinnedBytes: 0 },
    "init.scope": { live: 1, dying: 0, pinnedBytes: 0 },
    "user.slice": { live: 1, dying: 0, pinnedBytes: 0 },
  } as Record<string, { live: number; dying: number; pinnedBytes: number }>,
};

for (const [kernel, release, source] of [
  ["6.12", /^6\.12\.\d+\+deb12-amd64$/, /nr_dying_subsys_memory/],
  ["6.1", /^6\.1\.0-\d+-amd64$/, /nr_dying_descendants/],
] as const) {
  const name = `v2-debian-${kernel}-kubepods`;
  const root = fixtureRoot(name);
  describe(
    `captured fixture ${name}`,
    { skip: fs.existsSync(root) ? false : `no ${name} (npm run lab:capture)` },
    () => {
      const scan = () => runScan(new Host(root), { thresholds: DEFAULT_THRESHOLDS, deep: "auto", emptyMinAgeMs: 0 });

      it("holds every file cgleak reads, for every cgroup directory", () => {
        const cg = path.join(root, "sys/fs/cgroup");
        for (const dir of dirs(cg).slice(1)) {
          const missing = CGROUP_FILES.filter((f) => !fs.existsSync(path.join(dir, f)));
          assert.deepEqual(missing, [], `${path.relative(root, dir)} lacks files`);
        }
        assert.match(fs.readFileSync(path.join(root, "proc/sys/kernel/osrelease"), "utf8").trim(), release);
      });

      it("scans to the live, dying and pinned numbers the capture scenario made", () => {
        const r = scan();
        assert.equal(r.cgroup.mode, "v2");
        assert.equal(r.memcg.live, EXPECTED.live);
        assert.equal(r.memcg.dying, EXPECTED.dying);
        assert.match(r.memcg.dyingSource, source);
        assert.equal(r.dying.pinnedBytes, EXPECTED.subtrees["kubepods.slice"]!.pinnedBytes);
        for (const [p, want] of Object.entries(EXPECTED.subtrees)) {
          const s = r.subtrees.find((x) => x.path === p) ?? assert.fail(`no subtree ${p}`);
          assert.deepEqual({ live: s.live, dying: s.dying, pinnedBytes: s.pinnedBytes }, want, p);
        }
        const guaranteed = r.subtrees.filter((s) => /^kubepods\.slice\/kubepods-pod[0-9a-f_]{36}\.slice$/.test(s.path));
        assert.deepEqual(
          guaranteed.map((s) => [s.live, s.dying, s.pinnedBytes]),
          [[3, 0, 0]],
        );
      });

      it("finds the two cgroups with no process: user.slice and the exited container", () => {
        const r = scan();
        assert.ok(r.empty.checked);
        assert.equal(r.empty.count, 2);
        const shapes = r.empty.groups.map((g) => g.shape).sort();
        assert.equal(shapes[1], "user.slice");
        assert.match(
          shapes[0] ?? "",
          /^kubepods\.slice\/kubepods-burstable\.slice\/kubepods-burstable-pod[0-9a-f_]{36}\.slice\/cri-containerd-\*\.scope$/,
        );
      });
    },
  );
}

/** The directory and every directory below it, parents first. */
function dirs(dir: string): string[] {
  const subs = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
  return [dir, ...subs.flatMap((e) => dirs(path.join(dir, e.name)))];
}
