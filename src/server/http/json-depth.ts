/** Deepest nesting of objects and arrays a REST body may have (proto's own decoders stop at 100). */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether parsed JSON nests deeper than `max`. Iterative: JSON.parse accepts any depth, but the
 * recursive steps after it (schema checks, proto conversion, JSON.stringify upstream) would overflow
 * the stack on a body built to be deep.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== "object") continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}
