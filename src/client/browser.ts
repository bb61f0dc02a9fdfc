import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { interceptorsOf, type OrionClientOptions } from "./options.js";

export type { OrionClientOptions } from "./options.js";
export * from "./types.js";

export type OrionClient = Client<typeof AgentService>;

/**
 * The typed AgentService client for browsers (and any runtime with fetch): Connect or gRPC-Web.
 * gRPC proper needs HTTP/2 trailers, which browsers do not expose: use gRPC-Web there.
 */
export function createOrionClient(options: OrionClientOptions): OrionClient {
  const transport = options.transport ?? "connect";
  if (transport === "grpc") {
    throw new Error('transport "grpc" needs Node (HTTP/2); in a browser use "grpc-web" or "connect"');
  }
  const settings = {
    baseUrl: options.baseUrl,
    useBinaryFormat: options.binary ?? false,
    interceptors: interceptorsOf(options),
  };
  return createClient(
    AgentService,
    transport === "grpc-web" ? createGrpcWebTransport(settings) : createConnectTransport(settings),
  );
}
