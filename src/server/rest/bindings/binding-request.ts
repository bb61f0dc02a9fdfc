import { create, type DescMessage, type MessageShape, ScalarType } from "@bufbuild/protobuf";
import { type HttpBinding, isRequired } from "../../../wire/http-bindings.js";
import type { LocIssue } from "../../http/http-error.js";

/** A scalar from a path segment or query value, or undefined when it does not parse. */
function scalar(type: ScalarType, raw: string): unknown {
  switch (type) {
    case ScalarType.STRING:
      return raw;
    case ScalarType.BOOL:
      return raw === "true" ? true : raw === "false" ? false : undefined;
    case ScalarType.INT32:
    case ScalarType.UINT32:
    case ScalarType.SINT32:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return /^-?\d{1,10}$/.test(raw) ? Number(raw) : undefined;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return /^-?\d{1,19}$/.test(raw) ? BigInt(raw) : undefined;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
    default:
      return undefined;
  }
}

/**
 * The request message of a body-less binding: path variables and query parameters fill the
 * request's scalar fields by their proto names (the HTTP transcoding rules); REQUIRED fields that
 * are missing, and values that do not parse, are FastAPI-style issues.
 */
export function requestFromBinding<M extends DescMessage>(
  binding: HttpBinding & { method: { input: M } },
  pathParams: Record<string, string>,
  query: URLSearchParams,
): { message: MessageShape<M> } | { issues: LocIssue[] } {
  const init: Record<string, unknown> = {};
  const issues: LocIssue[] = [];
  for (const field of binding.method.input.fields) {
    if (field.fieldKind !== "scalar") continue;
    const inPath = pathParams[field.name] !== undefined;
    const raw = inPath ? pathParams[field.name] : (query.get(field.name) ?? undefined);
    const loc = [inPath ? "path" : "query", field.name];
    if (raw === undefined || raw === "") {
      if (isRequired(field)) issues.push({ loc, msg: "Field required", type: "missing" });
      continue;
    }
    const value = scalar(field.scalar, raw);
    if (value === undefined)
      issues.push({
        loc,
        msg: `Input should be a valid ${ScalarType[field.scalar].toLowerCase()}`,
        type: "parsing",
      });
    else init[field.localName] = value;
  }
  return issues.length > 0 ? { issues } : { message: create(binding.method.input, init as never) };
}
