/**
 * Cgroup names are chosen by whoever creates the cgroup: one holding ESC sequences could repaint
 * the operator's terminal or forge a line of output. Text output shows every C0/C1 control
 * character (and DEL) as \xNN; the line breaks cgleak itself writes are kept.
 */
export function escapeControls(text: string): string {
  return text.replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** For one name inside a line: line breaks are escaped too. */
export function escapeName(name: string): string {
  return escapeControls(name).replace(/\n/g, "\\x0a");
}
