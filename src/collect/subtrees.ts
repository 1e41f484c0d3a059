/**
 * Which directories cgleak reports as subtrees: every top-level child of the hierarchy, and every
 * child of a top-level `kubepods*` directory (the QoS classes, and Guaranteed pods, which sit
 * directly under kubepods). Those are where operators look for who leaks.
 */
export function isSubtreeRoot(rel: string): boolean {
  return rel !== "" && childrenAreSubtreeRoots(parentOf(rel));
}

/** True when each child of `rel` is a subtree: the hierarchy root's and a top-level kubepods*'s. */
export function childrenAreSubtreeRoots(rel: string): boolean {
  return rel === "" || (!rel.includes("/") && rel.startsWith("kubepods"));
}

/** The subtree a directory belongs to ("" for the hierarchy root itself). */
export function subtreeOf(rel: string): string {
  const first = rel.indexOf("/");
  if (first < 0) return rel;
  const top = rel.slice(0, first);
  if (!top.startsWith("kubepods")) return top;
  const second = rel.indexOf("/", first + 1);
  return second < 0 ? rel : rel.slice(0, second);
}

/** The parent's relative path ("" for a top-level directory). */
export function parentOf(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}

/**
 * Groups leaked directories by shape: IDs, UUIDs and numbers in the last path segment become `*`,
 * so 600 transient mounts show as one `system.slice/run-*.scope` group.
 */
export function shapeOf(rel: string): string {
  const parent = parentOf(rel);
  const last = rel.slice(parent === "" ? 0 : parent.length + 1);
  const shaped = last
    .replace(/[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}/gi, "*")
    .replace(/r?[0-9a-f]{16,}/gi, "*")
    .replace(/\d+/g, "*")
    .replace(/\*(?:[^a-z.]*\*)+/gi, "*");
  return parent === "" ? shaped : `${parent}/${shaped}`;
}
