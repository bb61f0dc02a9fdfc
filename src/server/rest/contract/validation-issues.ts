import type { z } from "zod";
import type { LocIssue } from "../../http/http-error.js";

type Path = (string | number)[];

const TYPE_WORDS: Record<string, string> = {
  string: "a valid string",
  number: "a valid number",
  int: "a valid integer",
  boolean: "a valid boolean",
  object: "a valid dictionary",
  record: "a valid dictionary",
  array: "a valid list",
  null: "null",
};

function fastapiType(issue: z.core.$ZodIssue): { type: string; msg: string } {
  switch (issue.code) {
    case "invalid_type": {
      if (/received undefined/.test(issue.message)) return { type: "missing", msg: "Field required" };
      const expected = String(issue.expected);
      const type = expected === "record" || expected === "object" ? "dict_type" : `${expected}_type`;
      return { type, msg: `Input should be ${TYPE_WORDS[expected] ?? expected}` };
    }
    case "too_small":
      return issue.origin === "array" || issue.origin === "string"
        ? { type: "too_short", msg: issue.message }
        : { type: "greater_than_equal", msg: issue.message };
    case "too_big":
      return issue.origin === "array" || issue.origin === "string"
        ? { type: "too_long", msg: issue.message }
        : { type: "less_than_equal", msg: issue.message };
    case "invalid_value":
      return { type: "literal_error", msg: issue.message };
    case "custom":
      return { type: (issue.params?.type as string | undefined) ?? "value_error", msg: issue.message };
    default:
      return { type: "value_error", msg: issue.message };
  }
}

/** A union branch whose only complaint is the top-level type did not match the input at all. */
function wrongShape(branch: z.core.$ZodIssue[]): boolean {
  return branch.length === 1 && branch[0]?.path.length === 0 && branch[0]?.code === "invalid_type";
}

function flatten(issue: z.core.$ZodIssue, base: Path, out: LocIssue[]): void {
  const path = [...base, ...(issue.path as Path)];
  if (issue.code === "invalid_union") {
    const discriminator = (issue as { discriminator?: string }).discriminator;
    if (discriminator !== undefined) {
      const options = ((issue as { options?: unknown[] }).options ?? []).map((o) => `'${String(o)}'`);
      out.push({ loc: path, msg: `Input should be ${options.join(", ")}`, type: "union_tag_invalid" });
      return;
    }
    // Report the branch that matched the input's shape; if none did, say which shapes are allowed.
    const fitting = issue.errors.find((branch) => !wrongShape(branch));
    if (fitting) {
      for (const inner of fitting) flatten(inner, path, out);
      return;
    }
    if (issue.errors.some((b) => /received undefined/.test(b[0]?.message ?? ""))) {
      out.push({ loc: path, msg: "Field required", type: "missing" });
      return;
    }
    const expected = issue.errors.map((b) => String((b[0] as { expected?: string } | undefined)?.expected));
    const words = expected.map((e) => TYPE_WORDS[e] ?? e);
    out.push({ loc: path, msg: `Input should be ${words.join(" or ")}`, type: "union_type" });
    return;
  }
  const { type, msg } = fastapiType(issue);
  out.push({ loc: path, msg, type });
}

/** Zod issues as FastAPI `detail` entries under `["body", …]`. */
export function locIssues(issues: readonly z.core.$ZodIssue[]): LocIssue[] {
  const out: LocIssue[] = [];
  for (const issue of issues) flatten(issue, ["body"], out);
  return out;
}
