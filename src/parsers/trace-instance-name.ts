/**
 * Who made a tracefs instance, written into its name (tracefs instances hold no files of our own):
 * `<prefix>-<pid>-<starttime>-<pid namespace inode>-<boot id, 32 hex>`. The four prove whether
 * the maker still runs (src/analyze/trace-owner.ts). The pid comes first so an operator reading
 * `instances/` sees whose it is, as in the older `<prefix>-<pid>-<8 hex>` names.
 */
export interface InstanceOwner {
  pid: number;
  startTime: number;
  pidNs: number;
  /** /proc/sys/kernel/random/boot_id without its dashes. */
  bootId: string;
}

export function formatInstanceName(prefix: string, o: InstanceOwner): string {
  return `${prefix}-${o.pid}-${o.startTime}-${o.pidNs}-${o.bootId}`;
}

/** An instance name under `prefix`: its owner, "legacy" for the older unmarked names, undefined when not ours. */
export function parseInstanceName(prefix: string, name: string): InstanceOwner | "legacy" | undefined {
  if (!name.startsWith(`${prefix}-`)) return undefined;
  const rest = name.slice(prefix.length + 1);
  const m = /^(\d+)-(\d+)-(\d+)-([0-9a-f]{32})$/.exec(rest);
  if (m !== null) return { pid: Number(m[1]), startTime: Number(m[2]), pidNs: Number(m[3]), bootId: m[4] as string };
  return /^\d+-[0-9a-f]{8}$/.test(rest) ? "legacy" : undefined;
}

/** The boot id as the name holds it: `49fb9bb9-163d-…` → `49fb9bb9163d…`. */
export function compactBootId(text: string): string | undefined {
  const id = text.trim().replace(/-/g, "").toLowerCase();
  return /^[0-9a-f]{32}$/.test(id) ? id : undefined;
}

/** The inode of a namespace link's text, `pid:[4026531836]`. */
export function nsInode(link: string): number | undefined {
  const m = /^\w+:\[(\d+)\]$/.exec(link.trim());
  return m === null ? undefined : Number(m[1]);
}
