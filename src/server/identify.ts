import { createContextKey, type Interceptor } from "@connectrpc/connect";
import { type Caller, kCaller } from "../identity/caller.js";
import type { CallerHints, CallerResolver } from "../identity/resolve-caller.js";
import { headerOf, type NodeRequest } from "./http/types.js";

/** The socket's remote address, for guests without a browser id. */
export const kPeer = createContextKey<string | undefined>(undefined, { description: "peer address" });

export function hintsFromHeaders(header: Headers, remoteAddress: string | undefined): CallerHints {
  return {
    authorization: header.get("authorization"),
    browserId: header.get("x-browser-id") ?? header.get("x-browser-fingerprint"),
    userAgent: header.get("user-agent"),
    forwardedFor: header.get("x-forwarded-for"),
    remoteAddress,
  };
}

export function hintsFromRequest(req: NodeRequest): CallerHints {
  return {
    authorization: headerOf(req, "authorization"),
    browserId: headerOf(req, "x-browser-id") ?? headerOf(req, "x-browser-fingerprint"),
    userAgent: headerOf(req, "user-agent"),
    forwardedFor: headerOf(req, "x-forwarded-for"),
    remoteAddress: req.socket.remoteAddress,
  };
}

/** RPC surface: who is calling, decided once, before the method runs. */
export function identifyRpc(resolver: CallerResolver): Interceptor {
  return (next) => async (req) => {
    const caller = await resolver.resolve(hintsFromHeaders(req.header, req.contextValues.get(kPeer)));
    req.contextValues.set(kCaller, caller);
    return next(req);
  };
}

const restCallers = new WeakMap<object, Caller>();

/** REST surface: the same resolver, run before the body is read; the caller rides on the request. */
export async function identifyRest(resolver: CallerResolver, req: NodeRequest): Promise<Caller> {
  const caller = await resolver.resolve(hintsFromRequest(req));
  restCallers.set(req, caller);
  return caller;
}

export function restCallerOf(req: NodeRequest): Caller | undefined {
  return restCallers.get(req);
}
