/**
 * Reads a command line out of a systemd unit the way systemd would run it, so tests run the
 * shipped unit's ExecStart rather than a copy: `Environment=` defaults (then overrides, as
 * `systemctl edit` would), `${VAR}` as one word and `$VAR` split on whitespace (systemd.service(5),
 * "Command lines"). Enough for our units: no quoting, no specifier (%) expansion.
 */
import * as fs from "node:fs";

export function unitCommands(file: string, key: string, overrides: Record<string, string> = {}): string[][] {
  const lines = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim());
  const env: Record<string, string> = {};
  for (const l of lines.filter((x) => x.startsWith("Environment="))) {
    const [k, ...v] = l.slice("Environment=".length).split("=");
    env[k as string] = v.join("=");
  }
  Object.assign(env, overrides);
  return lines
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => expand(l.slice(key.length + 1).replace(/^-/, ""), env));
}

function expand(command: string, env: Record<string, string>): string[] {
  return command.split(/\s+/).flatMap((word) => {
    const split = /^\$(\w+)$/.exec(word);
    if (split) return (env[split[1] as string] ?? "").split(/\s+/).filter(Boolean);
    return [word.replace(/\$\{(\w+)\}/g, (_m, k: string) => env[k] ?? "")];
  });
}
