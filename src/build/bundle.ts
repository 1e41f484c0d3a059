/**
 * Builds the `cgleak` bin, dist/cli/cgleak.cjs: the CLI's entry (tsc's dist/cli/main.js) and the
 * `scan` command bundled into one CommonJS file. Every other command stays an ES module in dist/
 * and is imported on first use, as before.
 *
 * Why: `cgleak scan` should cost little more than its walk, and on a 2-vCPU VM Node 20 spent about
 * as long loading the scan's ~50 ES modules (~80 ms: ~1 ms each, plus the fs/promises and streams
 * the ES loader needs) as walking 10,000 memcgs; the bundle loads in ~20 ms. The CommonJS loader is
 * already in Node's start-up snapshot and one file is one read. Only scan is inlined because every
 * kilobyte is parsed at start: the whole CLI in one file cost 18 ms more per start than scan alone.
 *
 * The bundle sits beside main.js, so paths modules compute from import.meta.url ("../../package.json")
 * resolve the same from it, and `import("./serve.js")` finds dist/cli/serve.js.
 */
import * as esbuild from "esbuild";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BUNDLE = path.join(DIST, "cli", "cgleak.cjs");

/** The commands bundled into the bin; src/cli/main.ts's COMMANDS imports the rest from dist/cli/. */
const INLINE = new Set(["./scan.js"]);

/** npm packages bundled: commander, the only one the scan loads (and most of the bin). */
const BUNDLED_PACKAGES = new Set(["commander"]);

const onlyScanInside: esbuild.Plugin = {
  name: "only-scan-inside",
  setup(build) {
    build.onResolve({ filter: /^\.\/[a-z-]+\.js$/ }, (args) =>
      args.kind === "dynamic-import" && args.importer === path.join(DIST, "cli", "main.js") && !INLINE.has(args.path)
        ? { path: args.path, external: true }
        : undefined,
    );
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("node:") || BUNDLED_PACKAGES.has(args.path)
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

/**
 * commander requires node:child_process at load time, for executable subcommands cgleak does not
 * have; child_process pulls in net and streams. The proxy loads it on first use instead.
 */
const lazyChildProcess: esbuild.Plugin = {
  name: "lazy-child-process",
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}commander${path.sep}`)
        ? { path: "child_process", namespace: "lazy" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "lazy" }, () => ({
      contents:
        'let m; module.exports = new Proxy({}, { get: (_, key) => (m ??= require("node:child_process"))[key] });',
      loader: "js",
    }));
  },
};

export async function bundle(): Promise<void> {
  await esbuild.build({
    entryPoints: [path.join(DIST, "cli", "main.js")],
    outfile: BUNDLE,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // CommonJS has no import.meta: give the modules the bundle's own URL, which sits where main.js does.
    define: { "import.meta.url": "__cgleakModuleUrl" },
    banner: { js: 'var __cgleakModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [onlyScanInside, lazyChildProcess],
    sourcemap: "linked",
    logLevel: "warning",
  });
}

/** Left to node_modules: a native addon, and what only --kube loads. commander: main.ts's copy parses. */
const SERVE_EXTERNAL = ["better-sqlite3", "@kubernetes/client-node", "commander"];
const SERVE_BANNER =
  'import { createRequire as __cgleakRequire } from "node:module"; ' +
  "const require = __cgleakRequire(import.meta.url);";

/**
 * `serve` as one ES module, dist/cli/serve.js (over tsc's), with chunks beside it for what it
 * imports late (--kube, --reap, the database lock). A daemon lives long, so its start-up time
 * matters less than what it holds: its ~120 modules from dist/ and prom-client's ~100 (most of
 * them @opentelemetry/api's) each kept a module record, a scope and a compiled top level. As one
 * file it held 7 MB less RSS (docs/deploy.md). The chunks sit in dist/cli/, two levels below the
 * package as every module in dist/ is, so paths computed from import.meta.url resolve alike.
 */
export async function bundleServe(): Promise<void> {
  await esbuild.build({
    entryPoints: [path.join(DIST, "cli", "serve.js")],
    outdir: path.join(DIST, "cli"),
    allowOverwrite: true,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    chunkNames: "serve-[name]-[hash]",
    external: SERVE_EXTERNAL,
    // The CommonJS packages bundled (prom-client) call require() for node's built-ins.
    banner: { js: SERVE_BANNER },
    sourcemap: "linked",
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle();
  await bundleServe();
}
