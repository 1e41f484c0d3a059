/** Installed packages from dpkg's database (/var/lib/dpkg/status): name -> version, epoch dropped. */
export function parseDpkgStatus(text: string, wanted: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    if (!name || !wanted.has(name)) continue;
    if (!/^Status:.*\binstalled$/m.test(stanza)) continue;
    const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
    if (version) out.set(name, version.replace(/^\d+:/, ""));
  }
  return out;
}
