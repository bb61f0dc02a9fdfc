import type { SchemaLimits } from "../config.js";

/**
 * The schema's JSON text when it is within the caps, else which cap it passes. The walk is
 * iterative and stops at the first cap passed, so a hostile schema costs no more than a legal one.
 */
export function measureSchema(schema: unknown, limits: SchemaLimits): { text: string } | { problem: string } {
  if (schema === null || typeof schema !== "object") return { text: JSON.stringify(schema) };
  const values: object[] = [schema];
  const depths: number[] = [1];
  let nodes = 1;
  while (values.length > 0) {
    const value = values.pop() as Record<string, unknown>;
    const depth = depths.pop() as number;
    if (depth > limits.maxDepth) return { problem: `it is nested deeper than ${limits.maxDepth} levels` };
    // Counted as they are found, so a node with 20,000 children stops at the cap, not after them.
    for (const key in value) {
      const child = value[key];
      if (child === null || typeof child !== "object") continue;
      if (++nodes > limits.maxNodes)
        return { problem: `it has more than ${limits.maxNodes} objects and arrays` };
      values.push(child);
      depths.push(depth + 1);
    }
  }
  const text = JSON.stringify(schema);
  if (Buffer.byteLength(text) > limits.maxBytes)
    return { problem: `it is larger than ${limits.maxBytes} bytes` };
  return { text };
}
