// The page of `cgleak serve`: plain browser JS, no build step. It reads only api/* and changes
// nothing. Every value from the host goes through textContent: cgroup paths may hold anything.
// URLs are relative to the page, so it works under a path prefix (kubectl proxy's
// /api/v1/namespaces/NS/pods/POD:19597/proxy/) as well as at / (kubectl port-forward).
"use strict";
(() => {
  // ?refresh=N (seconds) for a wall screen or a test; 10 s by default.
  const REFRESH_MS =
    Math.min(3600, Math.max(1, Number(new URLSearchParams(location.search).get("refresh")) || 10)) * 1000;
  const SINCE = "24h";
  const LEVEL = { ok: "OK", warning: "WARNING", critical: "CRITICAL" };
  const nf = new Intl.NumberFormat("en-US");
  const $ = (id) => document.getElementById(id);
  const count = (n) => (n === null || n === undefined ? "–" : nf.format(n));

  /** Last answers as received, for tests and for a person debugging in the console. */
  window.cgleak = { status: null, history: null, forecast: null, reap: null, renders: 0 };
  const retry = `retrying every ${REFRESH_MS / 1000} s`;

  function bytes(n) {
    if (n === null || n === undefined) return "unreadable";
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (Math.abs(n) >= 1024 && i < u.length - 1) {
      n /= 1024;
      i++;
    }
    return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${u[i]}`;
  }

  function duration(s) {
    if (s < 90) return `${Math.round(s)} s`;
    if (s < 90 * 60) return `${Math.round(s / 60)} min`;
    if (s < 48 * 3600) return `${(s / 3600).toFixed(1)} h`;
    return `${(s / 86400).toFixed(1)} days`;
  }

  const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

  /** An element with text and optional class; children appended in order. */
  function el(tag, text, cls, ...kids) {
    const e = document.createElement(tag);
    if (text !== null && text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    for (const k of kids) e.append(k);
    return e;
  }

  async function getJson(path) {
    const r = await fetch(path, { cache: "no-store" });
    const text = await r.text();
    if (!r.ok) throw new Error(`${path} answered HTTP ${r.status}: ${text.trim().slice(0, 200)}`);
    return { text, json: JSON.parse(text) };
  }

  async function refresh() {
    try {
      const [st, hi, fc, rp] = await Promise.all([
        getJson("api/status"),
        getJson(`api/history?since=${SINCE}`),
        getJson("api/forecast"),
        getJson("api/reap"),
      ]);
      render(st.json, hi.json, fc.json);
      renderReap(rp.json);
      const renders = window.cgleak.renders + 1;
      Object.assign(window.cgleak, { status: st.text, history: hi.text, forecast: fc.text, reap: rp.text, renders });
      showError(hostProblem(st.json));
    } catch (err) {
      // Keep the last picture: a daemon restarting for a few seconds should not blank the page.
      showError(`Cannot reach cgleak serve (${err.message}); showing its last answer, ${retry}.`);
    } finally {
      setTimeout(refresh, REFRESH_MS);
    }
  }

  function showError(text) {
    $("error").textContent = text || "";
    $("error").hidden = !text;
  }

  /**
   * The daemon answers but cannot read the node (a file vanished, a mount went away): say which
   * read failed and how old the figures below are. Cleared by the first answer that reads again.
   */
  function hostProblem(status) {
    const c = status.collectors || {};
    const what = { cheap: "the kernel's counter", walk: "the cgroup tree walk" };
    const bad = Object.keys(what)
      .filter((n) => c[n] && !c[n].success)
      .map((n) => `${what[n]} failed: ${c[n].error}`);
    if (bad.length === 0) return null;
    const r = status.report;
    const old = r ? `The figures below are from the last good walk, ${when(r.time)}` : "No figures yet";
    return `Cannot read this node: ${bad.join("; ")}. ${old}; ${retry}.`;
  }

  function render(status, history, fdoc) {
    const r = status.report;
    renderFresh(status, r);
    if (!r) {
      $("level").textContent = "…";
      $("sentence").textContent = "Waiting for the first scan of this node.";
      return;
    }
    renderStatus(r);
    renderGauge(r, status.sample);
    window.cgleakChart.render(history, fdoc.forecast, r);
    renderForecast(fdoc.forecast);
    renderFindings(r);
    renderSubtrees(r.subtrees);
    renderPins(r.dying);
    renderControllers(r.controllers || []);
  }

  function renderFresh(status, r) {
    const f = status.freshness;
    const node = status.node || (r && r.hostRoot !== "/" ? r.hostRoot : "this node");
    $("node").textContent = node;
    if (r)
      $("host").textContent =
        `Kernel ${r.kernel.release}, cgroup ${r.cgroup.mode}${r.hostRoot === "/" ? "" : `, host read under ${r.hostRoot}`}.`;
    // Many nodes in many tabs: the tab says which node, and its level first when there is one.
    document.title = `${r ? `${LEVEL[r.status.level] || r.status.level} · ` : ""}${node} · cgleak`;
    const parts = [];
    if (f.sampleAgeSeconds !== null)
      parts.push(`counter read ${duration(f.sampleAgeSeconds)} ago (every ${duration(f.intervalSeconds)})`);
    if (f.walkAgeSeconds !== null)
      parts.push(`tree walked ${duration(f.walkAgeSeconds)} ago (every ${duration(f.walkIntervalSeconds)})`);
    const broken = Object.entries(status.collectors || {})
      .filter(([, c]) => c && !c.success)
      .map(([n, c]) => `${n}: ${c.error}`);
    $("fresh").textContent =
      (parts.length ? `Updated: ${parts.join(", ")}.` : "No sample yet.") +
      (broken.length ? ` Failing: ${broken.join("; ")}.` : "");
  }

  function renderStatus(r) {
    const level = r.status.level;
    $("status").className = `card status level-${level}`;
    $("level").textContent = LEVEL[level] || level;
    $("level").className = `level badge level-${level}`;
    $("sentence").textContent = r.status.sentence;
  }

  function renderGauge(r, sample) {
    const ids = r.ids;
    const pct = Math.floor(ids.usedRatio * 1000) / 10; // floor: 5 IDs left must not read "100 %"
    const level =
      ids.usedRatio >= r.thresholds.crit ? "critical" : ids.usedRatio >= r.thresholds.warn ? "warning" : "ok";
    $("gauge-fill").style.width = `${Math.min(100, ids.usedRatio * 100)}%`;
    $("gauge-fill").className = `gauge-fill level-${level}`;
    $("gauge").setAttribute("aria-valuenow", String(pct));
    $("gauge").setAttribute("aria-valuetext", `${pct} % of the ID cap in use`);
    $("mark-warn").style.left = `${r.thresholds.warn * 100}%`;
    $("mark-crit").style.left = `${r.thresholds.crit * 100}%`;
    $("used-pct").textContent = `${pct.toFixed(1)} %`;
    $("used-pct").dataset.value = String(ids.usedRatio);
    const used = ids.usedLow === ids.usedHigh ? count(ids.usedHigh) : `${count(ids.usedLow)} to ${count(ids.usedHigh)}`;
    $("used-text").textContent = `${used} of ${count(ids.cap)} IDs in use; ${count(ids.headroom)} left.`;
    $("ids-basis").textContent =
      `Counts from the tree walk at ${when(r.time)}. ${capital(ids.basis)}.` +
      (sample && sample.total !== r.memcg.kernelTotal
        ? ` The kernel's counter read since says ${count(sample.total)} in total.`
        : "");
    figure("live", r.memcg.live, count);
    figure("dying", r.memcg.dying, count);
    figure("total", r.memcg.kernelTotal, count);
    figure("pinned", r.dying.pinnedBytes, bytes);
    $("pinned").title =
      `page cache and shmem held by dying memcgs; plus about ${bytes(r.dying.kernelBytes)} of kernel memory (${bytes(r.dying.kernelBytesEach)} each)`;
  }

  function figure(id, v, fmt) {
    $(id).textContent = fmt(v);
    $(id).dataset.value = v === null ? "" : String(v);
  }

  const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);

  function renderForecast(f) {
    const p = $("forecast");
    p.textContent = f ? f.basis : "No forecast yet.";
    if (f && f.leaking && f.capAt) {
      const range =
        f.secondsToCapLow !== null && f.secondsToCapHigh !== null
          ? ` (between ${duration(f.secondsToCapLow)} and ${duration(f.secondsToCapHigh)} from now)`
          : "";
      p.prepend(el("strong", `The cap is reached around ${when(f.capAt)}${range}. `));
    }
    const d = f && f.dying;
    $("forecast-dying").hidden = !(d && d.ratePerSecond !== null);
    if (d && d.ratePerSecond !== null) {
      $("forecast-dying").textContent =
        `Dying memcgs (holding no ID): ${d.ratePerSecond >= 0 ? "+" : "−"}${count(Math.round(Math.abs(d.ratePerSecond) * 86400))} a day, ${bytes(Math.max(0, d.bytesPerDay || 0))} of memory a day.`;
    }
  }

  function renderFindings(r) {
    const box = $("findings");
    box.replaceChildren();
    if (r.findings.length === 0)
      box.append(el("p", "No findings: nothing on this node looks like a memory-cgroup leak.", "none"));
    for (const f of r.findings) box.append(finding(f));
    box.append(el("p", `Runtimes: ${r.explain.runtimes}. Logs: ${r.explain.logs}.`, "muted small"));
    const sig = r.findings.find((f) => f.id === "log-signature");
    const logs = $("logs");
    logs.replaceChildren();
    const read = !/^not read/i.test(r.explain.logs);
    if (!sig)
      logs.append(
        el(
          "p",
          read ? `Not seen in the logs read: ${r.explain.logs}.` : `Not checked: logs ${r.explain.logs}.`,
          "none",
        ),
      );
    else
      logs.append(
        el("p", sig.title),
        el(
          "ul",
          null,
          "evidence",
          ...sig.evidence.map((e) => el("li", null, null, el("code", e.value), el("span", ` (${e.from})`, "muted"))),
        ),
      );
  }

  function finding(f) {
    const sev = f.severity;
    const h = el("h3", null, null, el("span", sev.toUpperCase(), `badge level-${sev}`), ` ${f.title}`);
    const fix = el("ol", null, "fix", ...f.fix.map((s) => el("li", s)));
    const ev = el(
      "ul",
      null,
      "evidence",
      ...f.evidence.map((e) => el("li", null, null, el("span", e.from, "from"), ` ${e.value}`)),
    );
    const more = el(
      "details",
      null,
      null,
      el("summary", "Evidence and sources"),
      ev,
      el("p", `Sources: ${f.sources.join("; ")}`, "muted small"),
    );
    const a = el("article", null, `finding sev-${sev}`, h, el("h4", "What to do"), fix, more);
    a.dataset.id = f.id;
    return a;
  }

  /** A path that may wrap after each "/" on a phone rather than inside a name. */
  function breakable(p) {
    return p.split(/(?<=\/)/).flatMap((part) => [part, document.createElement("wbr")]);
  }

  function renderSubtrees(subs) {
    const body = $("subtrees").tBodies[0];
    body.replaceChildren(
      ...subs.slice(0, 10).map((s) => {
        const tr = el(
          "tr",
          null,
          null,
          el("td", null, "path", ...breakable(s.path)),
          el("td", count(s.live), "num"),
          el("td", s.dying === null ? "n/a" : count(s.dying), "num"),
          el("td", bytes(s.pinnedBytes), "num"),
        );
        return tr;
      }),
    );
    // v1 counts dying memcgs only node-wide: a column of "n/a" would say nothing.
    $("subtrees").classList.toggle(
      "no-dying",
      subs.every((s) => s.dying === null),
    );
    if (subs.length === 0)
      body.append(el("tr", null, null, el("td", "No subtree under the memory controller's root.")));
  }

  /** Where the dying memcgs' pages are, the pod (and its owner) named when serve --trace --kube knows it. */
  function renderPins(d) {
    const pins = d.pins || [];
    const owner = (o) => (o.ownerKind ? ` (${o.ownerKind} ${o.ownerName})` : "");
    const pod = (p) => (p.pod ? `${p.pod.namespace}/${p.pod.name}${owner(p.pod)}` : p.podUid ? `pod ${p.podUid}` : "–");
    $("pins").tBodies[0].replaceChildren(
      ...pins
        .slice(0, 10)
        .map((p) =>
          el(
            "tr",
            null,
            null,
            el("td", null, "path", ...breakable(p.path === "" ? "/" : p.path)),
            el("td", pod(p)),
            el("td", bytes(p.fileBytes), "num"),
            el("td", bytes(p.shmemBytes), "num"),
          ),
        ),
    );
    if (pins.length === 0) $("pins").tBodies[0].append(el("tr", null, null, el("td", "No dying memcg pins anything.")));
    const more = pins.length > 10 ? `${pins.length - 10} more in api/status. ` : "";
    $("pins-note").textContent = more + (d.podNames || "");
  }

  /** A dash where the count could not be read; the reason is the row's tooltip. */
  function renderControllers(cs) {
    const body = $("controllers").tBodies[0];
    const n = (x) => (x === null ? "–" : count(x));
    body.replaceChildren(
      ...cs.map((c) => {
        const tr = el("tr", null, null, el("td", c.name), el("td", n(c.live), "num"), el("td", n(c.dying), "num"));
        tr.title = c.source;
        return tr;
      }),
    );
    if (cs.length === 0) body.append(el("tr", null, null, el("td", "No controller counts in this scan.")));
  }

  /** The reaper (`serve --reap`, or the writer container's `reap --every` through its status file). */
  function renderReap(d) {
    const t = d.totals;
    $("reap-on").textContent = d.enabled ? (d.dryRun ? "ON (dry run)" : "ON") : "OFF";
    $("reap-figures").hidden = !t;
    if (!d.enabled) {
      $("reap-sentence").textContent =
        "Not running on this node. `cgleak serve --reap`, or the reap overlay's " +
        "writer container, frees dying memcgs where they are (docs/reap.md).";
    } else {
      $("reap-sentence").textContent = d.lastPass ? lastPassText(d) : d.note || "Running; no pass yet.";
    }
    figure("reap-dying", t ? t.dyingFreed : null, count);
    figure("reap-pinned", t ? t.pinnedFreed : null, bytes);
    figure("reap-evicted", t ? t.liveCacheEvicted : null, bytes);
    figure("reap-refaults", t ? t.refaults : null, count);
    const merit = t && t.dyingFreedPerGiBEvicted;
    $("reap-merit").dataset.value = merit === null || merit === undefined ? "" : String(merit);
    $("reap-merit").textContent =
      !t || t.dyingFreed === 0
        ? ""
        : merit === null
          ? `Figure of merit: ${count(t.dyingFreed)} dying memcgs freed without evicting any live page cache.`
          : `Figure of merit: ${count(Math.round(merit))} dying memcgs freed per GiB of live page cache evicted.`;
    renderUnreclaimable(d.unreclaimable || []);
    const next = t ? `next pass within ${duration(t.intervalSeconds)}` : "";
    const totals = t ? `Totals since the reaper started: ${passCounts(t.passes)}; ${next}. ` : "";
    const updated = d.updated ? `, updated ${when(d.updated)}` : "";
    $("reap-source").textContent = !d.enabled ? "" : `${totals}From ${d.source}${updated}.`;
  }

  function lastPassText(d) {
    const p = d.lastPass;
    const acted = d.lastActed && d.lastActed.at !== p.at ? ` It last acted ${when(d.lastActed.at)}.` : "";
    return `Last pass ${when(p.at)}: ${p.verdict} (${p.reason}).${acted}`;
  }

  const passCounts = (p) =>
    Object.entries(p)
      .filter(([, n]) => n > 0)
      .map(([v, n]) => `${count(n)} ${v}`)
      .join(", ") || "no passes";

  function renderUnreclaimable(us) {
    const box = $("reap-unreclaimable");
    box.replaceChildren();
    if (us.length === 0) return;
    const li = (u) =>
      el("li", null, null, el("code", u.path), ` ${u.bytes === null ? "" : `${bytes(u.bytes)}: `}${u.reason}`);
    box.append(el("h3", "Not reclaimable"), el("ul", null, "evidence", ...us.map(li)));
  }

  document.addEventListener("DOMContentLoaded", () => void refresh());
})();
