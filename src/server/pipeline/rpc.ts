import type { DescService } from "@bufbuild/protobuf";
import type { Middleware } from "../http/compose.js";
import type { NodeRequest, NodeResponse } from "../http/types.js";
import { rpcSurface } from "../rpc/observe-rpc.js";

/** The paths of every method of these services: "/vlmrun.agent.v1.AgentService/ListModels". */
export function rpcPaths(services: readonly DescService[]): Set<string> {
  return new Set(services.flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`)));
}

/**
 * gRPC, gRPC-Web and Connect: requests for an RPC path go to the Connect adapter (its interceptors
 * observe and identify them); everything else goes on to the HTTP routes.
 */
export function serveRpc(
  paths: ReadonlySet<string>,
  adapter: (req: NodeRequest, res: NodeResponse) => void,
): Middleware {
  return (x, next) => {
    if (!paths.has(x.path)) return next();
    x.surface = rpcSurface(x.header.get("content-type"));
    adapter(x.req, x.res);
    return undefined;
  };
}
