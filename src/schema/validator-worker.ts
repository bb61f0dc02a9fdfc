// Runs in a worker thread (see validator.ts): compiling a caller's schema and checking an answer
// against it are synchronous and can be slow (uniqueItems over a long array), so they never run
// on the event loop, and a check that overruns its deadline ends with its thread.
import { Ajv, type ValidateFunction } from "ajv";
import { RE2JS } from "re2js";

/** Caller-supplied patterns run on RE2 (linear time): no backtracking blow-ups. */
function linearRegExp(pattern: string) {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    throw new Error(
      `the pattern ${JSON.stringify(pattern)} is not supported (${(error as Error).message}); ` +
        "patterns run on RE2: no backreferences or lookaround",
    );
  }
  return { test: (input: string) => compiled.test(input) };
}
linearRegExp.code = "linearRegExp";

const ajv = new Ajv({ allErrors: true, strict: false, logger: false, code: { regExp: linearRegExp } });

/** Compiled validators by schema hash, least recently used first, within a byte budget. */
const cache = new Map<string, { validate: ValidateFunction; bytes: number }>();
let cachedBytes = 0;

/** Values of every JSON type: a schema that recurses on itself without descending overflows on one. */
const PROBES: unknown[] = [null, true, 0, "", [], {}, [[]], { a: {} }];

/**
 * Compiles a schema and runs it once on every probe. A stack overflow in either is a `$ref` cycle
 * (the nesting caps rule out depth): Ajv's compile follows `$ref`s that only name one another, and
 * a validator recurses on a `$ref` that does not descend into the value.
 */
function compileEnding(text: string): ValidateFunction {
  try {
    const validate = ajv.compile(JSON.parse(text));
    for (const probe of PROBES) validate(probe);
    return validate;
  } catch (error) {
    if (error instanceof RangeError) {
      throw new Error(
        "it refers to itself ($ref) without descending into the value, so it cannot be checked: a $ref cycle must pass through properties or items",
      );
    }
    throw error;
  } finally {
    // Ajv keeps schemas it compiled by identity; the cache is the one place they live.
    ajv.removeSchema();
  }
}

export interface CompileArgs {
  key: string;
  text: string;
  cacheBytes: number;
}

function validatorFor({ key, text, cacheBytes }: CompileArgs): ValidateFunction {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit.validate;
  }
  const validate = compileEnding(text);
  const bytes = text.length;
  cache.set(key, { validate, bytes });
  cachedBytes += bytes;
  for (const [oldest, entry] of cache) {
    if (cachedBytes <= cacheBytes || oldest === key) break;
    cache.delete(oldest);
    cachedBytes -= entry.bytes;
  }
  return validate;
}

/** Answers once the thread has loaded this module (deadlines start after that). */
export function ready(): boolean {
  return true;
}

export type Compiled = { ok: true } | { ok: false; problem: string };

export function compile(args: CompileArgs): Compiled {
  try {
    validatorFor(args);
    return { ok: true };
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
}

export type Checked = { ok: true } | { ok: false; problems: string[] };

/** Checks an answer against the schema: it must be JSON and validate. */
export function check(args: CompileArgs & { answer: string }): Checked {
  const validate = validatorFor(args);
  let value: unknown;
  try {
    value = JSON.parse(args.answer);
  } catch {
    return { ok: false, problems: ["the answer is not JSON"] };
  }
  try {
    if (validate(value)) return { ok: true };
  } catch (error) {
    if (error instanceof RangeError) return { ok: false, problems: ["the answer is nested too deeply"] };
    throw error;
  }
  return {
    ok: false,
    problems: (validate.errors ?? []).map(
      (e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`,
    ),
  };
}
