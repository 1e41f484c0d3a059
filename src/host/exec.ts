import * as fs from "node:fs";
import { spawn } from "node:child_process";

// The one place cgleak runs a program found on the host (--exec-versions, opt-in): src/host/ is the
// layer that touches the host's files and processes, and collectors reach it through host/ only.

/** Our own util-linux tools, never the host's: the host tree is not trusted. */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => fs.existsSync(p));
const UNSHARE = ["/usr/bin/unshare", "/bin/unshare"].find((p) => fs.existsSync(p));
const NOBODY = 65534;
const MAX_OUTPUT = 64 * 1024;

export interface Run {
  output: string;
  code: number | null;
  error?: string;
  sandbox: string;
}

/**
 * Runs `<file> --version` only because the user asked (--exec-versions), and unprivileged: as root it
 * becomes nobody with no supplementary groups, no capabilities and no_new_privs, in a new network
 * namespace (no network); not as root it keeps the caller's uid with no_new_privs. Empty environment,
 * cwd /, a timeout that kills the whole process group, bounded output. Refuses without setpriv.
 */
export function runVersionSandboxed(file: string, timeoutMs: number): Promise<Run> {
  const root = process.getuid?.() === 0;
  if (!SETPRIV)
    return Promise.resolve({
      output: "",
      code: null,
      error: "not run: setpriv (util-linux) not found, so it cannot be run unprivileged",
      sandbox: "none",
    });
  const drop = root
    ? ["--reuid", String(NOBODY), "--regid", String(NOBODY), "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
    : [];
  const priv = [SETPRIV, ...drop, "--no-new-privs", "--", file, "--version"];
  const argv = root && UNSHARE ? [UNSHARE, "--net", "--", ...priv] : priv;
  const sandbox = root
    ? `as nobody (uid ${NOBODY}), no capabilities, no_new_privs${UNSHARE ? ", no network" : ""}`
    : `as uid ${process.getuid?.()}, no_new_privs, network not isolated`;
  return run(argv, timeoutMs, sandbox);
}

function run(argv: string[], timeoutMs: number, sandbox: string): Promise<Run> {
  return new Promise((resolve) => {
    let output = "";
    let done = false;
    const finish = (r: Omit<Run, "sandbox">) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        resolve({ ...r, sandbox });
      }
    };
    // Own process group, so a hung shell script and its children are all killed by our child's id.
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      cwd: "/",
      stdio: ["ignore", "pipe", "pipe"],
      env: { LC_ALL: "C", PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
    const kill = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      kill();
      finish({ output, code: null, error: `no answer to --version within ${timeoutMs} ms (killed)` });
    }, timeoutMs);
    const take = (b: Buffer) => {
      output += b.toString("utf8");
      if (output.length > MAX_OUTPUT) {
        kill();
        finish({ output, code: null, error: `more than ${MAX_OUTPUT} bytes from --version (killed)` });
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (e) =>
      finish({ output, code: null, error: `cannot run: ${(e as NodeJS.ErrnoException).code ?? e.message}` }),
    );
    child.on("close", (code) => finish({ output, code }));
  });
}
