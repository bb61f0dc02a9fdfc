import type { DescMethod } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type HandlerContext,
} from "@connectrpc/connect";
import { AgentService } from "../../../gen/vlmrun/agent/v1/service_pb.js";
import { kCaller } from "../../identity/caller.js";
import { kLogFields, kRequestId } from "../../service/context.js";
import type { Exchange } from "../http/exchange.js";
import type { NodeRequest } from "../http/types.js";
import type { Lifecycle } from "../lifecycle.js";

export interface RestCall {
  ctx: HandlerContext;
  /** Headers the service set for the HTTP response. */
  responseHeaders(): Record<string, string>;
  /** True once the client went away (the call's signal is then aborted too). */
  clientGone(): boolean;
}

function headersOf(req: NodeRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue; // HTTP/2 pseudo-headers
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}

/**
 * The HandlerContext a REST request hands to the AgentService implementation, so the bridge runs
 * exactly what the RPCs run. Lighter than connect's createHandlerContext (which links three abort
 * signals and copies three header sets per call): one AbortController, headers built on demand.
 */
export class RestHandlerContext implements HandlerContext {
  readonly service = AgentService;
  readonly protocolName = "openai-rest";
  readonly values: ContextValues;
  private requestHeaders: Headers | undefined;
  private responseHeaders: Headers | undefined;
  private responseTrailers: Headers | undefined;

  constructor(
    private readonly req: NodeRequest,
    readonly method: DescMethod,
    readonly signal: AbortSignal,
    x: Exchange,
  ) {
    this.values = createContextValues()
      .set(kRequestId, x.requestId)
      .set(kCaller, x.caller)
      .set(kLogFields, x.logFields);
  }

  get requestMethod(): string {
    return this.req.method ?? "POST";
  }
  get url(): string {
    return this.req.url ?? "/";
  }
  get requestHeader(): Headers {
    this.requestHeaders ??= headersOf(this.req);
    return this.requestHeaders;
  }
  /** Response headers the service set (rate-limit state), as a plain record. */
  responseHeaderRecord(): Record<string, string> {
    return this.responseHeaders ? Object.fromEntries(this.responseHeaders) : {};
  }
  get responseHeader(): Headers {
    this.responseHeaders ??= new Headers();
    return this.responseHeaders;
  }
  get responseTrailer(): Headers {
    this.responseTrailers ??= new Headers();
    return this.responseTrailers;
  }
  timeoutMs(): number | undefined {
    return undefined;
  }
}

/**
 * Starts a REST call of an AgentService method. Its signal aborts when the client disconnects or
 * the server's drain deadline passes.
 */
export function restCall(x: Exchange, method: DescMethod, lifecycle: Lifecycle): RestCall {
  return new OpenRestCall(x, method, lifecycle);
}

/** One object per call (a stream holds it for its whole life): methods, not closures. */
class OpenRestCall implements RestCall {
  readonly ctx: RestHandlerContext;
  private gone = false;

  constructor(x: Exchange, method: DescMethod, lifecycle: Lifecycle) {
    const { res } = x;
    const controller = new AbortController();
    const untrack = lifecycle.track(controller);
    res.once("close", () => {
      untrack();
      if (!res.writableFinished) {
        this.gone = true;
        controller.abort(new ConnectError("the client closed the connection", Code.Canceled));
      }
    });
    this.ctx = new RestHandlerContext(x.req, method, controller.signal, x);
  }

  responseHeaders(): Record<string, string> {
    return this.ctx.responseHeaderRecord();
  }

  clientGone(): boolean {
    return this.gone;
  }
}
