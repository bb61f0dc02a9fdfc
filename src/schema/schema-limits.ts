/** Caps on a caller's JSON Schema, checked before anything compiles it. */
export interface SchemaLimits {
  /** The schema as JSON text, in bytes. */
  maxBytes: number;
  /** Nesting of objects and arrays. */
  maxDepth: number;
  /** Objects and arrays in all (each property, subschema and list counts). */
  maxNodes: number;
}

export const DEFAULT_SCHEMA_LIMITS: SchemaLimits = { maxBytes: 64 * 1024, maxDepth: 32, maxNodes: 2_000 };

/**
 * The schema's JSON text when it is within the caps, else which cap it passes. The walk is
 * iterative and stops at the first cap passed, so a hostile schema costs no more than a legal one.
 */
export function measureSchema(schema: unknown, limits: SchemaLimits): { text: string } | { problem: string } {
  const stack: [unknown, number][] = [[schema, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (value === null || typeof value !== "object") continue;
    if (depth > limits.maxDepth) return { problem: `it is nested deeper than ${limits.maxDepth} levels` };
    if (++nodes > limits.maxNodes)
      return { problem: `it has more than ${limits.maxNodes} objects and arrays` };
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
  const text = JSON.stringify(schema);
  if (Buffer.byteLength(text) > limits.maxBytes)
    return { problem: `it is larger than ${limits.maxBytes} bytes` };
  return { text };
}
