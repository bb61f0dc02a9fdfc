import { type DescMethodUnary, toJson } from "@bufbuild/protobuf";
import { AgentService } from "../../../../gen/vlmrun/agent/v1/service_pb.js";
import { type HttpBinding, httpBindings } from "../../../wire/http-bindings.js";
import { validationHttpError } from "../../http/http-error.js";
import { sendHttpError } from "../../http/respond.js";
import type { RouteHandler } from "../../router.js";
import { RENDERINGS, type Rendering } from "./binding-renderings.js";
import { requestFromBinding } from "./binding-request.js";
import { callUnary, type RestDeps, type RestReply, unaryRoute } from "./unary-route.js";

export interface BoundRoute {
  verb: HttpBinding["verb"];
  path: string;
  name: string;
  handler: RouteHandler;
}

/** Proto JSON with the proto's field names: what a binding with no rendering of its own sends. */
const protoJson =
  (method: DescMethodUnary) =>
  (reply: object): RestReply => ({
    body: toJson(method.output, reply as never, { useProtoFieldName: true }),
  });

/**
 * One REST route per `google.api.http` binding of AgentService: adding an RPC with a REST route is
 * a proto edit plus its implementation. Bindings whose JSON is not proto JSON (the OpenAI chat
 * route) take a hand-written handler instead.
 */
export function bindingRoutes(
  deps: RestDeps,
  handwritten: Partial<Record<string, RouteHandler>>,
): BoundRoute[] {
  return httpBindings(AgentService).map((binding) => {
    const { method } = binding;
    const rendering = RENDERINGS[method.localName as keyof typeof RENDERINGS] as
      | Rendering<object>
      | undefined;
    const name = rendering?.name ?? method.name;
    const own = handwritten[method.localName];
    if (own) return { verb: binding.verb, path: binding.path, name, handler: own };
    if (method.methodKind !== "unary" || binding.body !== "") {
      throw new Error(`${method.name}: its REST binding needs a hand-written handler`);
    }
    const unary = method as DescMethodUnary;
    const render = rendering?.render ?? protoJson(unary);
    const handler: RouteHandler = async (x, params) => {
      const parsed = requestFromBinding(binding, params, new URL(x.req.url ?? "/", "http://x").searchParams);
      if ("issues" in parsed) {
        sendHttpError(x.res, validationHttpError(parsed.issues));
        return;
      }
      const call = (ctx: Parameters<typeof callUnary>[3]) => callUnary(deps, unary, parsed.message, ctx);
      await unaryRoute(deps, unary, call, render)(x, params);
    };
    return { verb: binding.verb, path: binding.path, name, handler };
  });
}
