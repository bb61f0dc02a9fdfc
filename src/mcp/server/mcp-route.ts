import { Code, ConnectError } from "@connectrpc/connect";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { AgentService } from "../../../gen/vlmrun/agent/v1/service_pb.js";
import { ownerOf } from "../../identity/caller.js";
import { BodyTooLarge, readBody, refuseBody } from "../../server/http/body.js";
import type { Exchange } from "../../server/http/exchange.js";
import { simpleHttpError } from "../../server/http/http-error.js";
import { JSON_SHAPE_LIMITS, jsonShapeProblem } from "../../server/http/json-shape.js";
import { sendHttpError, sendJson } from "../../server/http/respond.js";
import { headerOf, type NodeResponse, writable } from "../../server/http/types.js";
import type { Lifecycle } from "../../server/lifecycle.js";
import { RestHandlerContext } from "../../server/rest/rest-call.js";
import type { RouteHandler } from "../../server/router.js";
import { type CallerCaps, capsOf } from "../../service/caller-caps.js";
import { bindingUrl } from "../../wire/http-bindings.js";
import type { ToolListWatch } from "./list-changed.js";
import { createMcpServer, type McpRequestScope, type McpServerDeps } from "./mcp-server.js";

export interface McpRouteDeps extends McpServerDeps {
  caps: CallerCaps;
  lifecycle: Lifecycle;
  watch: ToolListWatch;
  /** Behind a trusted proxy, links use its X-Forwarded-Proto. */
  trustProxy: boolean;
}

/** SSE comments on an open stream this often, so proxies keep it. */
const KEEP_ALIVE_MS = 15_000;

/** A JSON-RPC error answer outside any request (what the SDK itself sends for a bad body). */
function jsonRpcError(res: NodeResponse, status: number, code: number, message: string) {
  sendJson(res, status, { jsonrpc: "2.0", error: { code, message }, id: null });
}

/** No credentials, or a guest's: MCP needs an API key or a JWT (RFC 6750's challenge, no error code). */
function refuseGuest(res: NodeResponse) {
  const error = simpleHttpError(
    401,
    "unauthenticated",
    "MCP needs an API key or a JWT as 'Authorization: Bearer <token>'",
  );
  sendHttpError(res, { ...error, headers: { "www-authenticate": 'Bearer realm="orion"' } });
}

function originOf(x: Exchange, trustProxy: boolean): string {
  const forwarded = trustProxy ? x.header.get("x-forwarded-proto")?.split(",")[0]?.trim() : undefined;
  const host = x.header.get("host") ?? headerOf(x.req, ":authority") ?? "localhost";
  return `${forwarded === "https" ? "https" : "http"}://${host}`;
}

const isJson = (contentType: string | undefined) =>
  contentType !== undefined && /^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(contentType);

/**
 * POST, GET and DELETE /mcp: Streamable HTTP, stateless. Each request gets a fresh SDK server and
 * transport (no session id, nothing kept), so any replica answers any request; a GET opens the
 * standalone stream on which this replica sends `notifications/tools/list_changed`.
 */
export function mcpRoute(deps: McpRouteDeps): RouteHandler {
  return async (x) => {
    const caller = x.caller;
    if (!caller || caller.kind === "guest") {
      if (x.req.method === "POST") refuseBody(x.req, 64 * 1024);
      refuseGuest(x.res);
      return;
    }
    let body: unknown;
    if (x.req.method === "POST" && isJson(headerOf(x.req, "content-type"))) {
      const cap = capsOf(deps.caps, caller).body;
      let raw: Buffer;
      try {
        raw = await readBody(x.req, cap.maxBytes, cap.source);
      } catch (error) {
        if (error instanceof BodyTooLarge)
          sendHttpError(x.res, simpleHttpError(413, "request_too_large", error.message));
        else writable(x.res).destroy();
        return;
      }
      const shape = jsonShapeProblem(raw, JSON_SHAPE_LIMITS);
      if (shape !== undefined) return jsonRpcError(x.res, 400, -32700, `Parse error: ${shape}`);
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        return jsonRpcError(x.res, 400, -32700, "Parse error: Invalid JSON");
      }
      // JSON-RPC 2.0: an empty batch is an Invalid Request (the SDK would answer it 202, as if heard).
      if (Array.isArray(body) && body.length === 0)
        return jsonRpcError(x.res, 400, -32600, "Invalid Request: an empty batch");
    }

    const owner = ownerOf(caller);
    const controller = new AbortController();
    const untrack = deps.lifecycle.track(controller);
    const origin = originOf(x, deps.trustProxy);
    const scope: McpRequestScope = {
      caller,
      owner,
      client: `${owner}\n${(x.header.get("user-agent") ?? "").slice(0, 256)}`,
      signal: controller.signal,
      link: (sessionId, artifactId) =>
        origin +
        bindingUrl(AgentService.method.getArtifact, { object_id: artifactId, session_id: sessionId }),
      context: (signal) => new RestHandlerContext(x.req, AgentService.method.streamChatCompletion, signal, x),
    };
    const server = createMcpServer(deps, scope);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      keepAliveMs: KEEP_ALIVE_MS,
    });
    const standalone = x.req.method === "GET";
    const listener = {
      toolListChanged: () => void server.sendToolListChanged().catch(() => {}),
      close: () => void server.close(),
    };
    const refusal = standalone ? deps.watch.add(listener, owner) : undefined;
    if (refusal) {
      untrack();
      sendHttpError(
        x.res,
        refusal === "full"
          ? simpleHttpError(503, "unavailable", "too many open MCP streams on this server; try again later")
          : simpleHttpError(
              429,
              "too_many_streams",
              `this caller already holds ${deps.watch.maxPerOwner} open MCP streams (GET /mcp); close one first`,
            ),
      );
      return;
    }
    x.res.once("close", () => {
      untrack();
      if (standalone) deps.watch.remove(listener);
      if (!x.res.writableFinished)
        controller.abort(new ConnectError("the client closed the connection", Code.Canceled));
      void server.close();
    });
    controller.signal.addEventListener("abort", () => void server.close(), { once: true });
    await server.connect(transport);
    await transport.handleRequest(x.req as never, x.res as never, body);
  };
}
