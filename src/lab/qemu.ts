import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Glue to lab/v2/lab.sh: boots a stock Debian kernel under qemu TCG with cgroup v2 only and
 * runs one shell command inside it (cwd /cgleak, the built dist/). The guest has $LAB_OUT
 * (files written there come back), $LAB_FILES (the input files), $LAB_EXT4 and $LAB_TMPFS.
 */
export type LabKernel = "5.10" | "6.1" | "6.12";

export interface GuestRun {
  kernel: LabKernel;
  command: string;
  /** Input files, by path relative to $LAB_FILES. */
  files?: Record<string, string>;
  timeoutSeconds?: number;
  /** Keep the files the command wrote here; by default they are only returned. */
  outDir?: string;
  /** Guest memory (default 2048): filling the memcg ID space needs more. */
  memMB?: number;
}

export interface GuestResult {
  stdout: string;
  stderr: string;
  rc: number;
  /** Files the command wrote under $LAB_OUT, by relative path. */
  files: Record<string, string>;
  bootSeconds: number;
  totalSeconds: number;
}

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const LAB_SCRIPT = path.join(REPO, "lab/v2/lab.sh");
const CACHE = process.env["CGLEAK_LAB_CACHE"] ?? path.join(REPO, ".lab-cache");
const TOOLS = ["qemu-system-x86_64", "busybox", "cpio", "mke2fs", "debugfs", "modprobe", "xz", "strip"];

/** Why the lab cannot run here, or false when it can. */
export function labAvailable(): string | false {
  if (process.env["CGLEAK_LAB"] === "0") return "CGLEAK_LAB=0";
  if (process.platform !== "linux" || process.arch !== "x64") return "the v2 lab needs Linux on x86-64";
  const missing = TOOLS.filter((t) => !onPath(t));
  if (missing.length > 0) return `the v2 lab needs ${missing.join(", ")} (lab/v2/lab.sh deps)`;
  const cached = (["5.10", "6.1", "6.12"] as const).every((k) =>
    fs.existsSync(path.join(CACHE, "kernels", k, "ready")),
  );
  if (!cached && !debianKernelKnown()) {
    return "no cached lab kernel and apt-cache knows no linux-image-amd64 (lab/v2/lab.sh prepare)";
  }
  return false;
}

function onPath(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status === 0;
}

function debianKernelKnown(): boolean {
  const r = spawnSync("apt-cache", ["depends", "linux-image-amd64"], { encoding: "utf8" });
  return r.status === 0 && /Depends: linux-image-6\.1\./.test(r.stdout);
}

/** Boots the guest once and runs the command; rejects only when the lab itself fails. */
export async function runInGuest(run: GuestRun): Promise<GuestResult> {
  const work = fs.mkdtempSync(path.join(process.env["TMPDIR"] ?? "/tmp", "cgleak-labrun-"));
  try {
    const outDir = run.outDir ?? path.join(work, "out");
    const args = [LAB_SCRIPT, "run", run.kernel, "--out", outDir];
    if (run.files) args.push("--files", writeFiles(path.join(work, "in"), run.files));
    if (run.timeoutSeconds) args.push("--timeout", String(run.timeoutSeconds));
    if (run.memMB) args.push("--mem", String(run.memMB));
    args.push("--", run.command);
    const { stdout, stderr, code } = await spawnCollect("bash", args);
    const boot = /init after ([\d.]+) s/.exec(stderr);
    const total = /total ([\d.]+) s, command rc=(\d+)/.exec(stderr);
    if (!boot || !total || stderr.includes("guest did not finish")) {
      throw new Error(`v2 lab failed (exit ${code}): ${lastLines(stderr)}`);
    }
    const files = fs.existsSync(outDir) ? readTree(outDir) : {};
    return {
      stdout,
      stderr,
      rc: Number(total[2]),
      files,
      bootSeconds: Number(boot[1]),
      totalSeconds: Number(total[1]),
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text, { mode: 0o755 });
  }
  return dir;
}

function spawnCollect(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ stdout, stderr, code: code ?? -1 }));
  });
}

/** Every regular file under dir, by path relative to dir. */
export function readTree(dir: string, rel = ""): Record<string, string> {
  const files: Record<string, string> = {};
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(files, readTree(dir, r));
    else if (e.isFile()) files[r] = fs.readFileSync(path.join(dir, r), "utf8");
  }
  return files;
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-5).join(" | ");
}
