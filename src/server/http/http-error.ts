import { Code, ConnectError } from "@connectrpc/connect";
import { errorFacts, Reason } from "../../errors.js";

/** One problem of a 422, FastAPI's shape: where (`["body", "messages", 0, …]`), what, which kind. */
export interface LocIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** An error as the HTTP surfaces send it: status, headers and the combined FastAPI + OpenAI body. */
export interface HttpError {
  status: number;
  headers: Record<string, string>;
  body: {
    detail: string | LocIssue[];
    error: { message: string; type: string; code: string; param: string | null };
  };
}

const STATUS_BY_CODE: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/** Upstream failures are the gateway's statuses, not ours. */
const STATUS_BY_REASON: Partial<Record<string, number>> = {
  [Reason.validation]: 422,
  [Reason.upstreamUnavailable]: 502,
  [Reason.upstreamAuth]: 502,
  [Reason.upstreamError]: 502,
  [Reason.upstreamTimeout]: 504,
  [Reason.responseFormatUnmet]: 502,
  [Reason.payloadTooLarge]: 413,
  [Reason.alreadyEnded]: 409,
};

function errorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 409) return "conflict_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** `messages[0].parts[1].image_url` → ["body", "messages", 0, "content", 1, "image_url"]. */
export function locOf(field: string): (string | number)[] {
  const loc: (string | number)[] = ["body"];
  const [head, ...rest] = field.split(".");
  const segments = head === "metadata" && rest.length > 0 ? [head, rest.join(".")] : field.split(".");
  for (const segment of segments) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(segment);
    const name = match?.[1] ?? segment;
    // Proto keeps array content in `parts`; OpenAI calls it `content`.
    if (name) loc.push(name === "parts" ? "content" : name);
    for (const index of (match?.[2] ?? "").matchAll(/\[(\d+)\]/g)) loc.push(Number(index[1]));
  }
  return loc;
}

export function validationHttpError(issues: LocIssue[]): HttpError {
  const first = issues[0];
  const where = first ? first.loc.slice(1).join(".") : "";
  return {
    status: 422,
    headers: {},
    body: {
      detail: issues,
      error: {
        message: first ? `${where || "body"}: ${first.msg}` : "invalid request",
        type: "invalid_request_error",
        code: "validation_error",
        param: where || null,
      },
    },
  };
}

export function httpErrorOf(error: unknown): HttpError {
  const ce = ConnectError.from(error);
  const facts = errorFacts(ce);
  if (facts.reason === Reason.validation && facts.violations.length > 0) {
    return validationHttpError(
      facts.violations.map((v) => ({ loc: locOf(v.field), msg: v.description, type: v.type })),
    );
  }
  const status = (facts.reason && STATUS_BY_REASON[facts.reason]) || STATUS_BY_CODE[ce.code] || 500;
  const headers: Record<string, string> = {};
  if (facts.retryAfterSeconds !== undefined) headers["retry-after"] = String(facts.retryAfterSeconds);
  for (const name of ["ratelimit-policy", "ratelimit"]) {
    const value = facts.metadata[name];
    if (value !== undefined) headers[name] = value;
  }
  const challenge = ce.metadata.get("www-authenticate");
  if (challenge) headers["www-authenticate"] = challenge;
  const message = status === 500 && ce.code === Code.Unknown ? "internal server error" : ce.rawMessage;
  return {
    status,
    headers,
    body: {
      detail: message,
      error: {
        message,
        type: errorType(status),
        code: facts.reason?.toLowerCase() ?? Code[ce.code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(),
        param: facts.metadata.field ?? null,
      },
    },
  };
}

export function simpleHttpError(status: number, code: string, message: string): HttpError {
  return {
    status,
    headers: {},
    body: { detail: message, error: { message, type: errorType(status), code, param: null } },
  };
}
