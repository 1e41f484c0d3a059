import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as os from "node:os";
import * as yaml from "js-yaml";
import { prometheusRule, RULES, OUTPUT } from "./gen-prometheusrule.js";
import { findKustomize, kustomizeBuild, type Obj } from "./kustomize.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const K8S = path.join(ROOT, "deploy/kubernetes");
const OVERLAYS = path.join(ROOT, "deploy/overlays");
const KUSTOMIZE = findKustomize();
const noKustomize =
  KUSTOMIZE === null
    ? "no kustomize: run .ci/kustomize.sh (fetches Debian trixie's package into .cache/kustomize)"
    : false;

const docs = (file: string): Obj[] =>
  yaml.loadAll(fs.readFileSync(file, "utf8")).filter((d): d is Obj => d !== null && d !== undefined) as Obj[];
const kustomization = (dir: string): Obj => docs(path.join(dir, "kustomization.yaml"))[0] as Obj;
const overlays = (): string[] =>
  fs
    .readdirSync(OVERLAYS)
    .filter((d) => fs.existsSync(path.join(OVERLAYS, d, "kustomization.yaml")))
    .sort();
const rendered = new Map<string, Obj[]>();
/** Base ("kubernetes") or an overlay, as kustomize renders it; rendered once per run. */
function render(name: string): Obj[] {
  let objs = rendered.get(name);
  if (objs === undefined) {
    objs = kustomizeBuild(KUSTOMIZE as string, name === "kubernetes" ? K8S : path.join(OVERLAYS, name));
    rendered.set(name, objs);
  }
  return objs;
}
const find = (objs: Obj[], kind: string, name = "cgleak"): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  assert.ok(o, `no ${kind}/${name} in ${objs.map((x) => `${x.kind}/${x.metadata?.name}`).join(", ")}`);
  return o;
};
const container = (objs: Obj[]): Obj => find(objs, "DaemonSet").spec.template.spec.containers[0];
const arg = (c: Obj, flag: string): string | undefined =>
  (c.args as string[]).find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);

/** The kubernetes-models class (Kubernetes OpenAPI schema, or prometheus-operator's CRD schema) for a kind. */
async function model(o: Obj): Promise<new (d: Obj) => { validate(): void }> {
  const [group, version] = (o.apiVersion as string).includes("/")
    ? (o.apiVersion as string).split("/")
    : ["", o.apiVersion as string];
  const mod =
    group === "monitoring.coreos.com"
      ? await import(`@kubernetes-models/prometheus-operator/${group}/${version}`)
      : await import(group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`);
  const cls = (mod as Record<string, unknown>)[o.kind as string];
  assert.ok(typeof cls === "function", `no schema for ${o.apiVersion} ${o.kind}`);
  return cls as new (d: Obj) => { validate(): void };
}

async function validateAll(objs: Obj[], where: string): Promise<string[]> {
  const seen: string[] = [];
  for (const o of objs) {
    const M = await model(o);
    assert.doesNotThrow(() => new M(o).validate(), `${where}: ${o.kind}/${o.metadata?.name}`);
    seen.push(`${o.kind}/${o.metadata.name}`);
  }
  return seen;
}

const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
]);
const LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/version",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
];

test(
  "kustomize renders the base and every overlay, and every object is valid against the Kubernetes and prometheus-operator schemas",
  { skip: noKustomize },
  async () => {
    assert.deepEqual(
      overlays(),
      ["locked-down", "npd-status", "reap", "remediation"],
      "the overlays under deploy/overlays",
    );
    for (const name of ["kubernetes", ...overlays()]) {
      const objs = render(name);
      const seen = await validateAll(objs, name);
      for (const k of [
        "Namespace/cgleak",
        "ServiceAccount/cgleak",
        "DaemonSet/cgleak",
        "Service/cgleak",
        "ServiceMonitor/cgleak",
        "PrometheusRule/cgleak",
        "ConfigMap/cgleak-grafana-dashboard",
      ]) {
        assert.ok(seen.includes(k), `${name}: missing ${k} in ${seen.join(", ")}`);
      }
      for (const o of objs) {
        for (const l of LABELS) assert.ok(o.metadata.labels?.[l], `${name}: ${o.kind}/${o.metadata.name} has no ${l}`);
        // Namespaced objects in cgleak (not "default"); cluster-scoped ones with none (kustomize stamps
        // its `namespace:` even on kinds it does not know to be cluster-scoped).
        assert.equal(
          o.metadata.namespace,
          CLUSTER_SCOPED.has(o.kind) ? undefined : "cgleak",
          `${name}: ${o.kind}/${o.metadata.name} namespace`,
        );
      }
    }
    const onDisk = fs.readdirSync(K8S).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    assert.deepEqual(
      onDisk.sort(),
      [...(kustomization(K8S).resources as string[])].sort(),
      "every manifest is in kustomization.yaml and exists",
    );
  },
);

test(
  "kustomize: the test's renderer fails on a broken layout (an overlay inside its base), as kubectl does",
  { skip: noKustomize },
  () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cgleak-kustomize-"));
    try {
      fs.writeFileSync(path.join(tmp, "kustomization.yaml"), "resources: [cm.yaml]\n");
      fs.writeFileSync(path.join(tmp, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
      fs.mkdirSync(path.join(tmp, "overlays/o"), { recursive: true });
      fs.writeFileSync(path.join(tmp, "overlays/o/kustomization.yaml"), "resources: [../../]\n");
      assert.throws(() => kustomizeBuild(KUSTOMIZE as string, path.join(tmp, "overlays/o")), /cycle detected/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
);

test("manifests: the schema check does catch a broken manifest", { skip: noKustomize }, async () => {
  const broken = structuredClone(find(render("kubernetes"), "DaemonSet"));
  broken.spec.template.spec.containers[0].ports[0].containerPort = "19597";
  const M = await model(broken);
  assert.throws(() => new M(broken).validate(), /containerPort must be integer/);
});

test(
  "DaemonSet conventions: node-critical priority, Linux nodes, the app.kubernetes.io labels, selectors that match",
  { skip: noKustomize },
  () => {
    const objs = render("kubernetes");
    const ds = find(objs, "DaemonSet");
    const pod = ds.spec.template.spec;
    assert.equal(pod.priorityClassName, "system-node-critical");
    assert.deepEqual(pod.nodeSelector, { "kubernetes.io/os": "linux" });
    const podLabels = ds.spec.template.metadata.labels as Record<string, string>;
    for (const l of [...LABELS, "app.kubernetes.io/component"]) assert.ok(podLabels[l], `pod template has ${l}`);
    const sel = ds.spec.selector.matchLabels as Record<string, string>;
    assert.deepEqual(
      Object.keys(sel).sort(),
      ["app.kubernetes.io/instance", "app.kubernetes.io/name"],
      "an immutable selector never holds the version",
    );
    for (const [k, v] of Object.entries(sel)) assert.equal(podLabels[k], v);
    for (const [k, v] of Object.entries(find(objs, "Service").spec.selector as Record<string, string>))
      assert.equal(podLabels[k], v, `Service selects the pods: ${k}`);
    const svcLabels = find(objs, "Service").metadata.labels as Record<string, string>;
    for (const [k, v] of Object.entries(
      find(objs, "ServiceMonitor").spec.selector.matchLabels as Record<string, string>,
    ))
      assert.equal(svcLabels[k], v, `ServiceMonitor selects the Service: ${k}`);
    const quota = find(objs, "ResourceQuota", "cgleak-critical-pods");
    assert.deepEqual(
      quota.spec.scopeSelector.matchExpressions[0].values,
      [pod.priorityClassName],
      "GKE admits the critical class only under such a quota",
    );
  },
);

test(
  "the default DaemonSet reads the host read-only under /host, without privilege, and `kubectl exec ... cgleak` reads the host too",
  { skip: noKustomize },
  () => {
    const pod = find(render("kubernetes"), "DaemonSet").spec.template.spec;
    const c = pod.containers[0];
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.notEqual(c.securityContext.privileged, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
    const hostPaths = new Map<string, string>(
      (pod.volumes as Obj[]).filter((v) => v.hostPath).map((v) => [v.name, v.hostPath.path]),
    );
    assert.deepEqual(
      [...hostPaths.values()].sort(),
      ["/proc", "/run/log/journal", "/sys/fs/cgroup", "/var/log"],
      "the host's /var/log (with /var/log/journal) and the volatile journal are mounted",
    );
    for (const m of c.volumeMounts as Obj[]) {
      const host = hostPaths.get(m.name);
      if (host === undefined) continue;
      assert.equal(m.readOnly, true, `${m.mountPath} read-only`);
      assert.equal(m.mountPath, `/host${host}`, "the host's path under /host, as --host-root expects");
    }
    assert.deepEqual(
      c.env.find((e: Obj) => e.name === "CGLEAK_HOST_ROOT"),
      { name: "CGLEAK_HOST_ROOT", value: "/host" },
      "every command in the container, serve or exec'd, reads /host",
    );
    assert.equal(arg(c, "--host-root"), undefined, "one place says where the host is");
    assert.deepEqual(c.env.find((e: Obj) => e.name === "NODE_NAME")?.valueFrom, {
      fieldRef: { fieldPath: "spec.nodeName" },
    });
    assert.deepEqual(pod.tolerations, [{ operator: "Exists" }], "stays on a node it tainted itself");
  },
);

test(
  "the DaemonSet's memory request and limit come from the RSS measured in the manifest's comment",
  { skip: noKustomize },
  () => {
    const c = container(render("kubernetes"));
    const mi = (q: string): number => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? NaN);
    const text = fs.readFileSync(path.join(K8S, "daemonset.yaml"), "utf8");
    const measured = /RSS (\d+) MiB at ([\d,]+) memcgs/.exec(text);
    assert.ok(measured, "the manifest says what was measured");
    const rss = Number(measured[1]);
    assert.ok(
      mi(c.resources.requests.memory) >= rss,
      `request ${c.resources.requests.memory} covers the measured ${rss} MiB`,
    );
    assert.ok(
      mi(c.resources.limits.memory) >= 2 * rss,
      `limit ${c.resources.limits.memory} leaves room for a tree larger than the measured one`,
    );
    assert.ok(c.resources.requests.cpu, "a CPU request");
  },
);

test(
  "RBAC: the base grants get nodes, patch nodes/status, create events (no pods: nothing here runs --trace); remediation adds patch nodes; npd-status grants nothing",
  { skip: noKustomize },
  () => {
    const grants = (r: Obj): string[] =>
      (r.rules as Obj[])
        .flatMap((x) => (x.resources as string[]).flatMap((res) => (x.verbs as string[]).map((v) => `${v} ${res}`)))
        .sort();
    assert.deepEqual(grants(find(render("kubernetes"), "ClusterRole")), [
      "create events",
      "get nodes",
      "patch nodes/status",
    ]);
    for (const name of ["kubernetes", "remediation"])
      assert.equal(arg(container(render(name)), "--trace"), undefined, `${name} does not trace`);
    assert.deepEqual(grants(find(render("remediation"), "ClusterRole", "cgleak-taint")), ["patch nodes"]);
    const npd = render("npd-status");
    assert.deepEqual(
      npd.filter((o) => o.kind.startsWith("Cluster")),
      [],
      "no cluster role, no binding",
    );
    assert.deepEqual(
      npd.filter((o) => o.kind.startsWith("ValidatingAdmissionPolicy")),
      [],
      "nothing to guard",
    );
    assert.equal(find(npd, "DaemonSet").spec.template.spec.automountServiceAccountToken, false);
  },
);

const named = (pod: Obj, name: string): Obj =>
  (pod.containers as Obj[]).find((c) => c.name === name) ?? assert.fail(`no container ${name}`);
const userOf = (pod: Obj, c: Obj): number => c.securityContext?.runAsUser ?? pod.securityContext.runAsUser;

test(
  "the remediation overlay is the only one that writes: taint, kured's sentinel on the host, cgroups writable",
  { skip: noKustomize },
  () => {
    const objs = render("remediation");
    const pod = find(objs, "DaemonSet").spec.template.spec;
    const c = named(pod, "cgleak");
    assert.equal(arg(c, "--taint-at"), "critical");
    const sentinel = arg(c, "--reboot-sentinel") as string;
    const mount = (c.volumeMounts as Obj[]).find((m) => sentinel.startsWith(`${m.mountPath}/`)) as Obj;
    assert.ok(mount, `${sentinel} is on a mount`);
    const vol = (pod.volumes as Obj[]).find((v) => v.name === mount.name) as Obj;
    assert.equal(
      `/host${vol.hostPath.path}`,
      mount.mountPath,
      "the sentinel's directory is the host's, at the same path under /host",
    );
    assert.equal(sentinel, "/host/var/run/cgleak/reboot-required", "the path the README gives kured");
    assert.equal((named(pod, "writer").volumeMounts as Obj[]).find((m) => m.name === "cgroup")?.readOnly, false);
    assert.equal(
      (pod.volumes as Obj[]).find((v) => v.name === "data")?.emptyDir,
      undefined,
      "history on the host, not an emptyDir",
    );
    assert.match(
      fs.readFileSync(path.join(OVERLAYS, "remediation/kustomization.yaml"), "utf8"),
      /WRITES/,
      "the overlay says why it needs write access",
    );
    for (const name of ["kubernetes", "npd-status"]) {
      const other = container(render(name));
      assert.equal(arg(other, "--reboot-sentinel"), undefined, name);
      assert.equal(arg(other, "--taint-at"), undefined, name);
    }
  },
);

test(
  "remediation and reap split the writer from the server: only the writer is root with the cgroup tree writable, and it has no port",
  { skip: noKustomize },
  () => {
    for (const name of ["remediation", "reap"]) {
      const pod = find(render(name), "DaemonSet").spec.template.spec;
      assert.deepEqual(
        (pod.containers as Obj[]).map((c) => c.name),
        ["cgleak", "writer"],
        name,
      );
      const server = named(pod, "cgleak");
      const writer = named(pod, "writer");
      assert.equal(userOf(pod, server), 65532, `${name}: the server is not root`);
      assert.equal(pod.securityContext.runAsNonRoot, true, `${name}: the pod's default is non-root`);
      assert.ok((server.ports as Obj[]).length > 0, `${name}: the server listens`);
      const rw = (server.volumeMounts as Obj[])
        .filter((m) => m.readOnly !== true)
        .map((m) => m.mountPath)
        .sort();
      const why = `${name}: the server writes its history and kured's sentinel only`;
      assert.deepEqual(rw, ["/host/var/run/cgleak", "/var/lib/cgleak"], why);
      assert.equal(userOf(pod, writer), 0, `${name}: the writer is root`);
      assert.equal(writer.ports, undefined, `${name}: the writer listens on nothing`);
      assert.equal(writer.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(writer.securityContext.capabilities, { drop: ["ALL"] });
      const cgroup = (writer.volumeMounts as Obj[]).find((m) => m.name === "cgroup");
      assert.equal(cgroup?.readOnly, false, `${name}: the writer's cgroup tree is writable`);
      const hostDir = (m: Obj): string | undefined =>
        (pod.volumes as Obj[]).find((v) => v.name === m.name)?.hostPath?.path;
      const serverDirs = new Set((server.volumeMounts as Obj[]).filter((m) => m.readOnly !== true).map(hostDir));
      for (const m of writer.volumeMounts as Obj[]) {
        if (m.readOnly === true || hostDir(m) === undefined) continue;
        assert.ok(!serverDirs.has(hostDir(m)), `${name}: the server cannot write the writer's ${m.mountPath}`);
      }
      const init = (pod.initContainers as Obj[])[0] as Obj;
      const caps = init.securityContext.capabilities;
      assert.deepEqual(caps, { drop: ["ALL"], add: ["CHOWN"] }, "the init container may only chown");
      assert.deepEqual(init.command, ["chown", "65532:65532", "/var/lib/cgleak", "/host/var/run/cgleak"]);
    }
  },
);

test(
  "the npd-status overlay: serve keeps the status file in the host directory NPD mounts; no --kube, non-root daemon",
  { skip: noKustomize },
  () => {
    const pod = find(render("npd-status"), "DaemonSet").spec.template.spec;
    const c = pod.containers[0];
    assert.ok(
      !(c.args as string[]).includes("--kube"),
      "NPD owns the MemoryCgroupLeak condition: cgleak must not write it too",
    );
    const file = arg(c, "--npd-status") as string;
    const mount = (c.volumeMounts as Obj[]).find((m) => path.dirname(file) === m.mountPath) as Obj;
    const hostDir = (pod.volumes as Obj[]).find((v) => v.name === mount.name)?.hostPath.path as string;
    const npd = JSON.parse(
      fs.readFileSync(path.join(ROOT, "deploy/node-problem-detector/cgleak-plugin-monitor.json"), "utf8"),
    ) as Obj;
    const readerFile = /CGLEAK_NPD_STATUS:-([^}]+)\}/.exec(npd.rules[0].args[1])?.[1];
    assert.equal(readerFile, path.join(hostDir, path.basename(file)), "NPD's command reads the file serve writes");
    assert.equal(c.securityContext?.runAsUser ?? pod.securityContext.runAsUser, 65532);
    const init = pod.initContainers[0];
    assert.deepEqual(
      init.securityContext.capabilities,
      { drop: ["ALL"], add: ["CHOWN"] },
      "the init container may only chown",
    );
    assert.deepEqual(init.command, ["chown", "65532:65532", mount.mountPath]);
  },
);

test(
  "node writes are limited to the pod's own node: the admission policy matches cgleak's service account and compares the node-name claim",
  { skip: noKustomize },
  () => {
    for (const name of ["kubernetes", "remediation"]) {
      const objs = render(name);
      const policy = find(objs, "ValidatingAdmissionPolicy", "cgleak-own-node-only");
      const binding = find(objs, "ValidatingAdmissionPolicyBinding", "cgleak-own-node-only");
      assert.equal(binding.spec.policyName, policy.metadata.name);
      assert.deepEqual(binding.spec.validationActions, ["Deny"]);
      assert.equal(policy.spec.failurePolicy, "Fail");
      const sa = find(objs, "ServiceAccount");
      const who = policy.spec.matchConditions.map((c: Obj) => c.expression).join(" ");
      assert.ok(
        who.includes(`"system:serviceaccount:${sa.metadata.namespace}:${sa.metadata.name}"`),
        `${name}: the policy names the DaemonSet's service account: ${who}`,
      );
      const rules = policy.spec.matchConstraints.resourceRules as Obj[];
      const guarded = rules.flatMap((r) => r.resources as string[]);
      const granted = objs
        .filter((o) => o.kind === "ClusterRole")
        .flatMap((r) =>
          (r.rules as Obj[])
            .filter((x) => (x.verbs as string[]).some((v) => ["patch", "update"].includes(v)))
            .flatMap((x) => x.resources as string[]),
        );
      for (const res of granted.filter((r) => r.startsWith("nodes")))
        assert.ok(guarded.includes(res), `${name}: ${res} is writable but not guarded`);
      assert.ok(
        policy.spec.validations.some((v: Obj) =>
          /object\.metadata\.name == variables\.nodeClaim\[0\]/.test(v.expression),
        ),
      );
    }
  },
);

test(
  "ServiceMonitor: the instance label is the node's name, so alerts name the node, not the pod address",
  { skip: noKustomize },
  () => {
    const relabel = find(render("kubernetes"), "ServiceMonitor").spec.endpoints[0].relabelings as Obj[];
    // prometheus-operator appends these after its own, so they decide the final labels.
    const target: Record<string, string> = {
      __address__: "10.244.3.17:19597",
      instance: "10.244.3.17:19597",
      __meta_kubernetes_pod_node_name: "worker-3",
    };
    for (const r of relabel) {
      assert.equal(r.action ?? "replace", "replace");
      target[r.targetLabel] = (r.sourceLabels as string[]).map((l) => target[l] ?? "").join(";");
    }
    assert.equal(target.instance, "worker-3");
    assert.equal(target.node, "worker-3");
  },
);

test("manifests: the PrometheusRule is generated from deploy/prometheus/cgleak-rules.yml and cannot drift", () => {
  const committed = fs.readFileSync(OUTPUT, "utf8");
  assert.equal(
    committed,
    prometheusRule(fs.readFileSync(RULES, "utf8")),
    "stale: run node dist/deploy/gen-prometheusrule.js",
  );
  const rule: Obj = docs(OUTPUT)[0] as Obj;
  assert.deepEqual(
    rule.spec,
    yaml.load(fs.readFileSync(RULES, "utf8")) as Obj,
    "same groups, rules, labels and annotations",
  );
  assert.ok((rule.spec.groups as Obj[]).flatMap((g) => g.rules).length >= 3);
});

test("runbook_url: absolute, into this repository's docs (package.json's repository), at a heading that exists", () => {
  const repo = (
    JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { repository: { url: string } }
  ).repository.url
    .replace(/^git\+/, "")
    .replace(/\.git$/, "");
  assert.match(repo, /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
  const rules = (yaml.load(fs.readFileSync(RULES, "utf8")) as Obj).groups.flatMap((g: Obj) => g.rules) as Obj[];
  for (const r of rules) {
    const url = r.annotations.runbook_url as string;
    const m = new RegExp(`^${repo.replace(/[.]/g, "\\.")}/blob/main/(docs/[\\w.-]+\\.md)#([\\w-]+)$`).exec(url);
    assert.ok(m, `${r.alert}: ${url} is not ${repo}/blob/main/docs/FILE.md#ANCHOR`);
    const anchors = (fs.readFileSync(path.join(ROOT, m[1] as string), "utf8").match(/^#+ .+$/gm) ?? []).map(
      githubAnchor,
    );
    assert.ok(anchors.includes(m[2] as string), `${r.alert}: no heading #${m[2]} in ${m[1]}`);
  }
});

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function githubAnchor(heading: string): string {
  return heading
    .replace(/^#+ /, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

test("manifests: the Grafana dashboard has Grafana's required fields and only real cgleak metrics", () => {
  const d = JSON.parse(fs.readFileSync(path.join(K8S, "grafana-dashboard.json"), "utf8")) as Obj;
  for (const f of ["uid", "title"]) assert.equal(typeof d[f], "string", f);
  assert.equal(typeof d.schemaVersion, "number");
  assert.ok(Array.isArray(d.panels) && d.panels.length >= 5);
  const ids = new Set<number>();
  const metrics = new Set(fs.readFileSync(path.join(ROOT, "docs/metrics.md"), "utf8").match(/cgleak_[a-z_]+/g) ?? []);
  for (const p of d.panels as Obj[]) {
    assert.equal(typeof p.id, "number");
    assert.ok(!ids.has(p.id), `duplicate panel id ${p.id}`);
    ids.add(p.id);
    assert.ok(typeof p.type === "string" && typeof p.title === "string");
    for (const k of ["h", "w", "x", "y"]) assert.equal(typeof p.gridPos?.[k], "number", `${p.title}: gridPos.${k}`);
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title}: wider than Grafana's 24 columns`);
    assert.ok(p.targets.length > 0);
    for (const t of p.targets as Obj[]) {
      assert.equal(typeof t.refId, "string");
      for (const m of (t.expr as string).match(/cgleak_[a-z_]+/g) ?? [])
        assert.ok(metrics.has(m), `${p.title}: ${m} is not in docs/metrics.md`);
    }
  }
  const titles = (d.panels as Obj[]).map((p) => p.title as string).join(" | ");
  for (const want of [/headroom/i, /dying/i, /pinned/i, /time to the ID cap/i, /findings/i]) assert.match(titles, want);
  const cm = (kustomization(K8S).configMapGenerator as Obj[])[0] as Obj;
  assert.deepEqual(cm.files, ["grafana-dashboard.json"]);
});

test("Dockerfile: Node 20 on bookworm slim, production dependencies only, non-root user", () => {
  const df = fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
  const froms = df.match(/^FROM\s+\S+/gm) ?? [];
  // The runtime stage gets node from the build stage: both must be the same Debian release (glibc).
  assert.ok(froms.length > 0 && froms.every((f) => /:(20-)?bookworm-slim\b/.test(f)), froms.join());
  assert.match(froms[0] as string, /node:20-bookworm-slim/);
  assert.match(df, /npm ci\b/);
  assert.match(df, /--omit=dev/);
  // The image runs the bin package.json names (the bundle npm run build makes), not a stale path.
  const bin = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: { cgleak: string } }).bin
    .cgleak;
  assert.match(df, /RUN npm run build\b/);
  assert.ok(df.includes(`ENTRYPOINT ["node", "/opt/cgleak/${bin}"]`), `ENTRYPOINT runs ${bin}`);
  const user = [...df.matchAll(/^USER\s+(\S+)/gm)].at(-1)?.[1];
  assert.ok(user !== undefined && !/^(0|root)\b/.test(user), `last USER is ${user}`);
});

test(
  "the reap overlay runs the reaper in the writer, its policy from the ConfigMap it mounts, and the server shows its status file",
  { skip: noKustomize },
  () => {
    const objs = render("reap");
    const ds = find(objs, "DaemonSet");
    const pod = ds.spec.template.spec;
    const w = named(pod, "writer");
    const args = w.args as string[];
    assert.equal(args[0], "reap");
    for (const a of ["--every", "--yes", "--kube", "--policy=/etc/cgleak/reap-policy.json", "--under=kubepods"]) {
      assert.ok(args.includes(a), `reap: ${a} in ${args.join(" ")}`);
    }
    const status = arg(w, "--status-file") as string;
    const server = named(pod, "cgleak");
    assert.equal(arg(server, "--reap-status"), status, "the server reads the file the writer writes");
    assert.ok(!(server.args as string[]).includes("--reap"), "the server reaps nothing itself");
    const dirOf = (c: Obj): Obj =>
      (c.volumeMounts as Obj[]).find((m) => m.mountPath === path.dirname(status)) ??
      assert.fail(`${c.name}: ${status} on no mount`);
    assert.equal(dirOf(server).readOnly, true, "the server only reads the status");
    assert.equal(dirOf(w).name, dirOf(server).name, "one volume");
    const volume = (name: string): Obj | undefined => (pod.volumes as Obj[]).find((v) => v.name === name);
    assert.ok(volume(dirOf(w).name)?.emptyDir, "shared in the pod, not on the host");
    const journal = arg(w, "--state-file") as string;
    const jm = (w.volumeMounts as Obj[]).find((m) => journal.startsWith(`${m.mountPath}/`)) as Obj;
    assert.ok(volume(jm.name)?.hostPath, "the journal survives the pod, on the host");
    const policyMount = (w.volumeMounts as Obj[]).find((m) => m.name === "reap-policy");
    assert.deepEqual([policyMount?.mountPath, policyMount?.readOnly], ["/etc/cgleak", true]);
    const cm = find(objs, "ConfigMap", "cgleak-reap-policy");
    const policy = JSON.parse(cm.data["reap-policy.json"]) as Record<string, unknown>;
    assert.equal(policy.targetDying, 1000);
    assert.ok(pod.volumes.some((v: Obj) => v.name === "reap-policy" && v.configMap?.name === "cgleak-reap-policy"));
  },
);

test(
  "the locked-down overlay: cgleak on loopback, kube-rbac-proxy alone on the pod port, probes through /healthz, Prometheus alone let in",
  { skip: noKustomize },
  () => {
    const objs = render("locked-down");
    const spec = find(objs, "DaemonSet").spec.template.spec;
    const [cgleak, proxy] = spec.containers as Obj[];
    assert.equal(arg(cgleak as Obj, "--listen"), "127.0.0.1:19596", "cgleak answers only on loopback");
    assert.deepEqual(cgleak?.ports ?? [], [], "cgleak exposes no port");
    assert.equal(proxy?.name, "kube-rbac-proxy");
    assert.equal(arg(proxy as Obj, "--upstream"), "http://127.0.0.1:19596/");
    assert.equal(
      arg(proxy as Obj, "--ignore-paths"),
      "/healthz",
      "only the content-free health answer skips the token review",
    );
    assert.deepEqual(
      (proxy?.ports as Obj[]).map((p) => p.containerPort),
      [19597],
    );
    for (const probe of ["readinessProbe", "livenessProbe"]) {
      assert.deepEqual(cgleak?.[probe].httpGet, { path: "/healthz", port: 19597, scheme: "HTTPS" }, probe);
    }
    assert.equal(proxy?.securityContext.runAsNonRoot, true);
    const ep = find(objs, "ServiceMonitor").spec.endpoints[0];
    assert.equal(ep.scheme, "https");
    assert.match(ep.bearerTokenFile, /serviceaccount\/token$/);
    const np = find(objs, "NetworkPolicy", "cgleak-metrics-from-prometheus").spec;
    assert.deepEqual(np.ingress[0].ports, [{ port: 19597, protocol: "TCP" }]);
    const grants = (find(objs, "ClusterRole", "cgleak-rbac-proxy").rules as Obj[]).flatMap((r) =>
      (r.resources as string[]).map((res) => `${(r.verbs as string[]).join(",")} ${res}`),
    );
    assert.deepEqual(
      grants,
      ["create tokenreviews", "create subjectaccessreviews"],
      "the proxy reviews requests and reads nothing",
    );
  },
);
