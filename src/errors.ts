import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequest_FieldViolationSchema,
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
} from "../gen/google/rpc/error_details_pb.js";
import { StoreUnavailable } from "./store/store.js";

/** The `google.rpc.ErrorInfo` domain of every error this server raises. */
export const ERROR_DOMAIN = "orion-server";

/** Machine-readable causes; surfaces map them to HTTP statuses and OpenAI error codes. */
export const Reason = {
  validation: "VALIDATION",
  providerNotConfigured: "PROVIDER_NOT_CONFIGURED",
  unsupported: "UNSUPPORTED",
  upstreamUnavailable: "UPSTREAM_UNAVAILABLE",
  upstreamTimeout: "UPSTREAM_TIMEOUT",
  upstreamRejected: "UPSTREAM_REJECTED",
  upstreamAuth: "UPSTREAM_AUTH",
  upstreamRateLimited: "UPSTREAM_RATE_LIMITED",
  upstreamError: "UPSTREAM_ERROR",
  shuttingDown: "SHUTTING_DOWN",
  quotaExceeded: "QUOTA_EXCEEDED",
  rateLimited: "RATE_LIMITED",
  storeUnavailable: "STORE_UNAVAILABLE",
  toolWorkersUnavailable: "TOOL_WORKERS_UNAVAILABLE",
  unauthenticated: "UNAUTHENTICATED",
  inProgress: "IN_PROGRESS",
  notFound: "NOT_FOUND",
  tooLarge: "TOO_LARGE",
  responseFormatUnmet: "RESPONSE_FORMAT_UNMET",
  invalidSkill: "INVALID_SKILL",
  /** More than a cap allows (an execution's inputs): 413 on REST. */
  payloadTooLarge: "PAYLOAD_TOO_LARGE",
  /** The execution has already ended (cancel of a finished one): 409 on REST. */
  alreadyEnded: "ALREADY_ENDED",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** One invalid field. `field` is a path in proto (= OpenAI) names, e.g. `messages[0].role`. */
export interface FieldViolation {
  field: string;
  description: string;
  /** A FastAPI-style error type, e.g. `missing`, `less_than_equal`, `enum`. */
  type: string;
}

export function validationError(violations: FieldViolation[]): ConnectError {
  const first = violations[0];
  const message =
    violations.length === 1 && first
      ? `${first.field}: ${first.description}`
      : `${violations.length} invalid fields`;
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    {
      desc: BadRequestSchema,
      value: {
        fieldViolations: violations.map((v) =>
          create(BadRequest_FieldViolationSchema, {
            field: v.field,
            description: v.description,
            reason: v.type,
          }),
        ),
      },
    },
    { desc: ErrorInfoSchema, value: { reason: Reason.validation, domain: ERROR_DOMAIN } },
  ]);
}

export interface ReasonErrorOptions {
  metadata?: Record<string, string>;
  retryAfterSeconds?: number;
  cause?: unknown;
  /** e.g. a google.rpc.QuotaFailure. */
  details?: NonNullable<ConstructorParameters<typeof ConnectError>[3]>;
}

export function reasonError(code: Code, reason: Reason, message: string, options: ReasonErrorOptions = {}) {
  const details: ConstructorParameters<typeof ConnectError>[3] = [
    { desc: ErrorInfoSchema, value: { reason, domain: ERROR_DOMAIN, metadata: options.metadata ?? {} } },
  ];
  if (options.retryAfterSeconds !== undefined) {
    details.push({
      desc: RetryInfoSchema,
      value: { retryDelay: { seconds: BigInt(Math.ceil(options.retryAfterSeconds)), nanos: 0 } },
    });
  }
  details.push(...(options.details ?? []));
  return new ConnectError(message, code, undefined, details, options.cause);
}

/** The 503 a caller sees when the shared store cannot answer. */
export function storeUnavailableError(what: string): ConnectError {
  return reasonError(
    Code.Unavailable,
    Reason.storeUnavailable,
    `the ${what} is unavailable; try again shortly`,
    {
      retryAfterSeconds: 1,
    },
  );
}

/** Runs a store operation, turning the store's own failure into that 503. */
export async function guardStore<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (error instanceof StoreUnavailable) throw storeUnavailableError(what);
    throw error;
  }
}

export interface ErrorFacts {
  reason: string | undefined;
  metadata: Record<string, string>;
  violations: FieldViolation[];
  retryAfterSeconds: number | undefined;
}

/** Reads back what `validationError` / `reasonError` attached. */
export function errorFacts(error: ConnectError): ErrorFacts {
  const info = error.findDetails(ErrorInfoSchema)[0];
  const badRequest = error.findDetails(BadRequestSchema)[0];
  const retry = error.findDetails(RetryInfoSchema)[0];
  return {
    reason: info?.domain === ERROR_DOMAIN ? info.reason : undefined,
    metadata: info?.metadata ?? {},
    violations:
      badRequest?.fieldViolations.map((v) => ({
        field: v.field,
        description: v.description,
        type: v.reason,
      })) ?? [],
    retryAfterSeconds: retry?.retryDelay ? Number(retry.retryDelay.seconds) : undefined,
  };
}

/** A tool's own failure (bad input, unreadable file): reported to the model, never a crash. */
export class ToolError extends Error {}

/**
 * Where an upstream failure happened: kept on the error for the server's log, never put in the
 * message callers read (a guest must not learn internal addresses).
 */
export interface UpstreamCause {
  upstream: string;
  error?: unknown;
}

export const upstreamCause = (upstream: string, error?: unknown): UpstreamCause => ({ upstream, error });

/** The internal address behind an error, when it came from an upstream call. */
export function upstreamOf(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause && typeof cause === "object" && "upstream" in cause ? String(cause.upstream) : undefined;
}
