import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  AgentService,
  GetArtifactRequestSchema,
  GetArtifactResponseSchema,
  ListArtifactsRequestSchema,
  ListArtifactsResponseSchema,
} from "../../../gen/vlmrun/agent/v1/service_pb.js";
import { sendHttpError } from "../http/respond.js";
import { type NodeRequest, type NodeResponse, writable } from "../http/types.js";
import { httpErrorOf, validationHttpError } from "./errors.js";
import { restCall } from "./rest-call.js";
import { type RestDeps, unaryRoute } from "./unary-route.js";

/** Required query parameters, or a 422 naming the missing ones. */
function query(req: NodeRequest, res: NodeResponse, names: string[]): Record<string, string> | undefined {
  const params = new URL(req.url ?? "/", "http://x").searchParams;
  const missing = names.filter((n) => !params.get(n));
  if (missing.length > 0) {
    sendHttpError(
      res,
      validationHttpError(
        missing.map((n) => ({ loc: ["query", n], msg: "Field required", type: "missing" })),
      ),
    );
    return undefined;
  }
  return Object.fromEntries(names.map((n) => [n, params.get(n) as string]));
}

/** GET /v1/artifacts?object_id=…&session_id=… → the raw bytes with their exact Content-Type. */
export function artifactRoute(deps: RestDeps) {
  return async (req: NodeRequest, res: NodeResponse) => {
    const q = query(req, res, ["object_id", "session_id"]);
    if (!q) return;
    const requestId = deps.requestIdOf(req);
    const call = restCall(req, res, AgentService.method.getArtifact, requestId, deps.lifecycle);
    try {
      const reply = create(
        GetArtifactResponseSchema,
        await deps.service.getArtifact(
          create(GetArtifactRequestSchema, { objectId: q.object_id, sessionId: q.session_id }),
          call.ctx,
        ),
      );
      writable(res).writeHead(200, {
        "content-type": reply.contentType,
        "content-length": String(reply.data.byteLength),
        "cache-control": "private, max-age=3600",
        // Artifacts can be user-supplied (an attached HTML file): never sniffed, never run as a page.
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox; default-src 'none'",
        "x-request-id": requestId,
      });
      writable(res).end(reply.data);
    } catch (error) {
      if (!call.clientGone()) sendHttpError(res, httpErrorOf(error));
    }
  };
}

/** GET /v1/artifacts/list?session_id=… */
export function artifactListRoute(deps: RestDeps) {
  const list = unaryRoute(
    deps,
    AgentService.method.listArtifacts,
    async (ctx, params) =>
      create(
        ListArtifactsResponseSchema,
        await deps.service.listArtifacts(
          create(ListArtifactsRequestSchema, { sessionId: params.session_id ?? "" }),
          ctx,
        ),
      ),
    (reply) => ({
      body: {
        namespace_id: reply.namespaceId,
        items: reply.items.map((a) => ({
          object_id: a.objectId,
          filename: a.filename || null,
          content_type: a.contentType,
          size: Number(a.size),
          created_at: a.createdAt ? timestampDate(a.createdAt).toISOString() : null,
          source: "store",
        })),
      },
    }),
  );
  return async (req: NodeRequest, res: NodeResponse) => {
    const q = query(req, res, ["session_id"]);
    if (q) await list(req, res, q);
  };
}
