import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";

export type Protocol = "connect" | "grpc-web";
export type AgentClient = Client<typeof AgentService>;

/** Identity on every call: the guest's browser id, and the API key when one was pasted. */
function identity(browserId: string, apiKey: () => string): Interceptor {
  return (next) => (req) => {
    req.header.set("x-browser-id", browserId);
    const key = apiKey().trim();
    if (key !== "") req.header.set("authorization", `Bearer ${key}`);
    return next(req);
  };
}

/** The AgentService over Connect (JSON over HTTP/1.1) or gRPC-Web, on the page's own origin. */
export function agentClient(protocol: Protocol, browserId: string, apiKey: () => string): AgentClient {
  const options = { baseUrl: window.location.origin, interceptors: [identity(browserId, apiKey)] };
  const transport =
    protocol === "grpc-web" ? createGrpcWebTransport(options) : createConnectTransport(options);
  return createClient(AgentService, transport);
}
