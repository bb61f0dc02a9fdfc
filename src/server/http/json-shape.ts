/** Bounds on the shape of a JSON request body, checked on its bytes before it is parsed. */
export interface JsonShapeLimits {
  /** Deepest nesting of objects and arrays (proto's own decoders stop at 100). */
  maxDepth: number;
  /** Most values in objects and arrays, counted by their separators. */
  maxValues: number;
}

export const JSON_SHAPE_LIMITS: JsonShapeLimits = { maxDepth: 64, maxValues: 200_000 };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** The index of the quote that closes the string opening at `start` (a native search per quote). */
function stringEnd(bytes: Uint8Array, start: number): number {
  let at = start;
  for (;;) {
    at = bytes.indexOf(QUOTE, at + 1);
    if (at === -1) return bytes.length;
    let backslashes = 0;
    while (bytes[at - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/**
 * Which bound a JSON text passes, if any, from one pass over its bytes (strings skipped). JSON.parse
 * accepts any depth and any number of values, but a body built to be deep would overflow the stack
 * in the recursive steps after it, and one of millions of tiny values would hold the event loop
 * in JSON.parse itself; both are refused here for the cost of a byte scan.
 */
export function jsonShapeProblem(bytes: Uint8Array, limits: JsonShapeLimits): string | undefined {
  let depth = 0;
  let values = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) i = stringEnd(bytes, i);
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > limits.maxDepth) return `JSON nested deeper than ${limits.maxDepth} levels`;
      if (++values > limits.maxValues) return `JSON with more than ${limits.maxValues} values`;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
    else if (byte === COMMA && ++values > limits.maxValues) {
      return `JSON with more than ${limits.maxValues} values`;
    }
  }
  return undefined;
}
