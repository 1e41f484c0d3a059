import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as yaml from "js-yaml";
import { prometheusRule, RULES, OUTPUT } from "./gen-prometheusrule.js";
import { strategicMerge } from "./merge.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const K8S = path.join(ROOT, "deploy/kubernetes");
const OVERLAY = path.join(ROOT, "deploy/overlays/remediation");
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const docs = (file: string): Obj[] => yaml.loadAll(fs.readFileSync(file, "utf8")).filter((d): d is Obj => d !== null && d !== undefined) as Obj[];
const kustomization = (dir: string): Obj => docs(path.join(dir, "kustomization.yaml"))[0] as Obj;
const baseObjects = (): Obj[] => (kustomization(K8S).resources as string[]).flatMap((r) => docs(path.join(K8S, r)));

/** The kubernetes-models class (Kubernetes OpenAPI schema, or prometheus-operator's CRD schema) for a kind. */
async function model(o: Obj): Promise<new (d: Obj) => { validate(): void }> {
  const [group, version] = (o.apiVersion as string).includes("/") ? (o.apiVersion as string).split("/") : ["", o.apiVersion as string];
  const mod = group === "monitoring.coreos.com"
    ? await import(`@kubernetes-models/prometheus-operator/${group}/${version}`)
    : await import(group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`);
  const cls = (mod as Record<string, unknown>)[o.kind as string];
  assert.ok(typeof cls === "function", `no schema for ${o.apiVersion} ${o.kind}`);
  return cls as new (d: Obj) => { validate(): void };
}

async function validateAll(objs: Obj[]): Promise<string[]> {
  const seen: string[] = [];
  for (const o of objs) {
    const M = await model(o);
    assert.doesNotThrow(() => new M(o).validate(), `${o.kind}/${o.metadata?.name}`);
    seen.push(`${o.kind}/${o.metadata.name}`);
  }
  return seen;
}

test("manifests: every base resource is valid against the Kubernetes (and prometheus-operator) OpenAPI schema", async () => {
  const seen = await validateAll(baseObjects());
  for (const k of ["Namespace/cgleak", "ResourceQuota/cgleak-critical-pods", "ServiceAccount/cgleak", "ClusterRole/cgleak", "ClusterRoleBinding/cgleak", "DaemonSet/cgleak", "Service/cgleak", "ServiceMonitor/cgleak", "PrometheusRule/cgleak"]) {
    assert.ok(seen.includes(k), `missing ${k} in ${seen.join(", ")}`);
  }
  const onDisk = fs.readdirSync(K8S).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
  assert.deepEqual(onDisk.sort(), [...(kustomization(K8S).resources as string[])].sort(), "every manifest is in kustomization.yaml and exists");
});

test("manifests: the schema check does catch a broken manifest", async () => {
  const ds = baseObjects().find((o) => o.kind === "DaemonSet") as Obj;
  const broken = structuredClone(ds);
  broken.spec.template.spec.containers[0].ports[0].containerPort = "19597";
  const M = await model(broken);
  assert.throws(() => new M(broken).validate(), /containerPort must be integer/);
});

test("manifests: the default DaemonSet only reads the host, without privilege", () => {
  const ds = baseObjects().find((o) => o.kind === "DaemonSet") as Obj;
  const pod = ds.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.notEqual(c.securityContext.privileged, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
  const hostVolumes = new Set((pod.volumes as Obj[]).filter((v) => v.hostPath).map((v) => v.name));
  assert.deepEqual([...hostVolumes].sort(), ["cgroup", "journal-run", "proc", "varlog"]);
  for (const m of c.volumeMounts as Obj[]) if (hostVolumes.has(m.name)) assert.equal(m.readOnly, true, `${m.mountPath} read-only`);
  assert.deepEqual(c.env.find((e: Obj) => e.name === "CGLEAK_HOST_ROOT"), { name: "CGLEAK_HOST_ROOT", value: "/host" });
  assert.deepEqual(c.env.find((e: Obj) => e.name === "NODE_NAME")?.valueFrom, { fieldRef: { fieldPath: "spec.nodeName" } });
  assert.deepEqual(pod.tolerations, [{ operator: "Exists" }], "stays on a node it tainted itself");
});

test("manifests: RBAC grants exactly get nodes, patch nodes/status, create events, list and watch pods; the overlay adds patch nodes", () => {
  const role = baseObjects().find((o) => o.kind === "ClusterRole") as Obj;
  const grants = (r: Obj): string[] => (r.rules as Obj[]).flatMap((x) => (x.resources as string[]).flatMap((res) => (x.verbs as string[]).map((v) => `${v} ${res}`))).sort();
  assert.deepEqual(grants(role), ["create events", "get nodes", "list pods", "patch nodes/status", "watch pods"]);
  const taint = docs(path.join(OVERLAY, "rbac-taint.yaml")).find((o) => o.kind === "ClusterRole") as Obj;
  assert.deepEqual(grants(taint), ["patch nodes"]);
});

test("manifests: the remediation overlay, merged onto the base DaemonSet, is valid and is the only one that writes", async () => {
  const k = kustomization(OVERLAY);
  const ds = baseObjects().find((o) => o.kind === "DaemonSet") as Obj;
  const patch = docs(path.join(OVERLAY, (k.patches as Obj[])[0]?.path as string))[0] as Obj;
  const merged = strategicMerge(ds, patch) as Obj;
  await validateAll([merged, ...docs(path.join(OVERLAY, "rbac-taint.yaml"))]);
  const c = merged.spec.template.spec.containers[0];
  assert.ok((c.args as string[]).includes("--taint-at=critical"));
  assert.ok((c.args as string[]).some((a) => a.startsWith("--reboot-sentinel=")));
  assert.equal(c.volumeMounts.find((m: Obj) => m.name === "cgroup").readOnly, false);
  assert.equal(merged.spec.template.spec.volumes.find((v: Obj) => v.name === "data").emptyDir, undefined, "history on the host, not an emptyDir");
  assert.match(fs.readFileSync(path.join(OVERLAY, "kustomization.yaml"), "utf8"), /WRITES/, "the overlay says why it needs write access");
});

test("manifests: the PrometheusRule is generated from deploy/prometheus/cgleak-rules.yml and cannot drift", () => {
  const committed = fs.readFileSync(OUTPUT, "utf8");
  assert.equal(committed, prometheusRule(fs.readFileSync(RULES, "utf8")), "stale: run node dist/deploy/gen-prometheusrule.js");
  const rule: Obj = docs(OUTPUT)[0] as Obj;
  assert.deepEqual(rule.spec, yaml.load(fs.readFileSync(RULES, "utf8")) as Obj, "same groups, rules, labels and annotations");
  assert.ok((rule.spec.groups as Obj[]).flatMap((g) => g.rules).length >= 3);
});

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
      for (const m of (t.expr as string).match(/cgleak_[a-z_]+/g) ?? []) assert.ok(metrics.has(m), `${p.title}: ${m} is not in docs/metrics.md`);
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
  const bin = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: { cgleak: string } }).bin.cgleak;
  assert.match(df, /RUN npm run build\b/);
  assert.ok(df.includes(`ENTRYPOINT ["node", "/opt/cgleak/${bin}"]`), `ENTRYPOINT runs ${bin}`);
  const user = [...df.matchAll(/^USER\s+(\S+)/gm)].at(-1)?.[1];
  assert.ok(user !== undefined && !/^(0|root)\b/.test(user), `last USER is ${user}`);
});
