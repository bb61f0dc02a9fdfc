import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Logger } from "../observability/logger.js";
import { kRequestId } from "./context.js";

const INTERNAL = new Set([Code.Unknown, Code.Internal, Code.DataLoss]);

/** A failure nobody planned for: not a ConnectError we raised, or one that says "internal". */
function isUnexpected(error: unknown): boolean {
  return !(error instanceof ConnectError) || INTERNAL.has(error.code);
}

type Method = (request: unknown, ctx: HandlerContext) => unknown;

/**
 * Every surface calls the one service, so this is the one place where an error that becomes a 500
 * is logged, with its message, stack and the request id. Errors after the caller left are not.
 */
export function logUnexpectedErrors<S extends object>(service: S, logger: Logger): S {
  const report = (method: string, ctx: HandlerContext, error: unknown) => {
    if (ctx.signal.aborted || !isUnexpected(error)) return;
    const err = error instanceof ConnectError && error.cause instanceof Error ? error.cause : error;
    logger.error({ req_id: ctx.values.get(kRequestId) || undefined, method, err }, "internal error");
  };
  const wrapped: Record<string, Method> = {};
  for (const [name, method] of Object.entries(service) as [string, Method][]) {
    wrapped[name] = (request, ctx) => {
      let out: unknown;
      try {
        out = method(request, ctx);
      } catch (error) {
        report(name, ctx, error);
        throw error;
      }
      if (out instanceof Promise) {
        return out.catch((error: unknown) => {
          report(name, ctx, error);
          throw error;
        });
      }
      if (out && typeof out === "object" && Symbol.asyncIterator in out) {
        const inner = (out as AsyncIterable<unknown>)[Symbol.asyncIterator]();
        return new ReportingIterator(inner, (error) => report(name, ctx, error));
      }
      return out;
    };
  }
  return wrapped as S;
}

/**
 * A stream's own iterator with its failures reported: delegates rather than re-yielding through a
 * second generator (several microtask turns per chunk), and is one object per stream, not a
 * closure per method.
 */
class ReportingIterator<T> implements AsyncIterableIterator<T> {
  constructor(
    private readonly inner: AsyncIterator<T>,
    private readonly report: (error: unknown) => void,
  ) {}

  [Symbol.asyncIterator]() {
    return this;
  }

  next(value?: unknown): Promise<IteratorResult<T>> {
    return this.inner.next(value).catch((error: unknown) => {
      this.report(error);
      throw error;
    });
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    return this.inner.return ? this.inner.return(value) : Promise.resolve({ done: true, value: value as T });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    return this.inner.throw ? this.inner.throw(error) : Promise.reject(error);
  }
}
