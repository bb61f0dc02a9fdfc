import type { DescService } from "@bufbuild/protobuf";
import { createContextKey, type Interceptor } from "@connectrpc/connect";
import { kCaller } from "../../identity/caller.js";
import type { CallerResolver } from "../../identity/resolve-caller.js";
import { hintsFromHeaders } from "../http/caller-hints.js";

/** The socket's remote address, for guests without a browser id. */
export const kPeer = createContextKey<string | undefined>(undefined, { description: "peer address" });

/** RPC surfaces: who is calling (for these services), decided once, before the method runs. */
export function identifyRpc(resolver: CallerResolver, services: readonly DescService[]): Interceptor {
  const identified = new Set(services.map((s) => s.typeName));
  return (next) => async (req) => {
    // Health and reflection answer anyone: a probe must not depend on identity (or the store).
    if (!identified.has(req.service.typeName)) return next(req);
    const caller = await resolver.resolve(hintsFromHeaders(req.header, req.contextValues.get(kPeer)));
    req.contextValues.set(kCaller, caller);
    return next(req);
  };
}
