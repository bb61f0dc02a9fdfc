import type { z } from "zod";

/** "/xywh/2", or "arguments" for the whole object: where a problem is, as a JSON pointer. */
function where(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "arguments" : `/${path.map(String).join("/")}`;
}

/** A regex as written, without its slashes and the escaping of "/" that RegExp#toString adds. */
function patternOf(pattern: string): string {
  return pattern.replace(/^\/|\/[a-z]*$/g, "").replaceAll("\\/", "/");
}

function bound(issue: { origin?: string; inclusive?: boolean }, sign: "<" | ">", limit: unknown): string {
  if (issue.origin === "array") return `must NOT have ${sign === "<" ? "more" : "fewer"} than ${limit} items`;
  if (issue.origin === "string")
    return `must NOT have ${sign === "<" ? "more" : "fewer"} than ${limit} characters`;
  return `must be ${sign}${issue.inclusive === false ? "" : "="} ${limit}`;
}

/** One line a model can act on: what is wrong, the way JSON Schema validators phrase it. */
function phrase(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "too_big":
      return bound(issue, "<", issue.maximum);
    case "too_small":
      return bound(issue, ">", issue.minimum);
    case "invalid_type":
      return `must be ${issue.expected}`;
    case "invalid_format":
      return issue.format === "regex" && "pattern" in issue
        ? `must match pattern "${patternOf(String(issue.pattern))}"`
        : `must be a valid ${issue.format}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "unrecognized_keys":
      return `must NOT have additional properties (${issue.keys.join(", ")})`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "invalid_union":
      return issue.errors.length > 0 && issue.errors[0]?.[0]
        ? phrase(issue.errors[0][0])
        : "does not match any allowed form";
    default:
      return issue.message;
  }
}

/** A property that is not there at all: zod reports the value as undefined. */
const isMissing = (issue: z.core.$ZodIssue) =>
  issue.code === "invalid_type" && issue.path.length > 0 && / received undefined$/.test(issue.message);

/** A zod error as one readable line per problem, e.g. "/xywh/2 must be <= 1". */
export function argumentProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) =>
    isMissing(issue)
      ? `${where(issue.path.slice(0, -1))} must have required property '${String(issue.path.at(-1))}'`
      : `${where(issue.path)} ${phrase(issue)}`,
  );
}
