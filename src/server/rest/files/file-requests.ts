import { z } from "zod";
import { isPurpose, PURPOSES } from "../../../files/file-service.js";
import { MAX_EXPIRATION_SECONDS } from "../../../files/upload-urls.js";
import { type HttpError, type LocIssue, validationHttpError } from "../../http/http-error.js";

/** Longest filename kept (bytes of UTF-16 code units, as the hosted API's field). */
export const MAX_FILENAME = 255;

export function purposeIssue(purpose: string, loc: (string | number)[]): LocIssue | undefined {
  if (isPurpose(purpose)) return undefined;
  return { loc, msg: `must be one of ${PURPOSES.join(", ")}`, type: "enum" };
}

/** A filename as kept: its last path segment, without control characters, at most 255 characters. */
export function cleanFilename(name: string | undefined): string {
  const base = (name ?? "").split(/[\\/]/).pop() ?? "";
  const printable = [...base].filter((c) => c >= " " && c !== "\u007f").join("");
  return (printable || "upload").slice(0, MAX_FILENAME);
}

/** POST /v1/files/presigned-url's body (what the vlmrun Python SDK sends, plus an optional size). */
export const presignedRequestSchema = z.object({
  filename: z.string().min(1).max(MAX_FILENAME),
  purpose: z.string().default("assistants"),
  expiration: z.number().int().min(1).max(MAX_EXPIRATION_SECONDS).default(86_400),
  content_type: z.string().max(255).optional(),
  bytes: z.number().int().min(1).optional(),
});

/** `skip` and `limit` of GET /v1/files: whole numbers in range, else a 422 naming them. */
export function pageOf(
  query: URLSearchParams,
): { error: HttpError } | { error?: undefined; skip: number; limit: number } {
  const issues: LocIssue[] = [];
  const read = (name: string, fallback: number, min: number, max: number) => {
    const raw = query.get(name);
    if (raw === null || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      issues.push({
        loc: ["query", name],
        msg: `must be an integer from ${min} to ${max}`,
        type: "int_parsing",
      });
    }
    return value;
  };
  const skip = read("skip", 0, 0, 1_000_000);
  const limit = read("limit", 10, 1, 1_000);
  return issues.length > 0 ? { error: validationHttpError(issues) } : { skip, limit };
}
