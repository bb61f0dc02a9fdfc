import { type Client, createClient } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { interceptorsOf, type OrionClientOptions } from "./options.js";

export type { OrionClientOptions } from "./options.js";
export * from "./types.js";

export type OrionClient = Client<typeof AgentService>;

/**
 * The typed AgentService client for Node: Connect (HTTP/1.1), gRPC (HTTP/2 cleartext or TLS) or
 * gRPC-Web, with keep-alive connections from connect-node.
 */
export function createOrionClient(options: OrionClientOptions): OrionClient {
  const interceptors = interceptorsOf(options);
  const { baseUrl } = options;
  switch (options.transport ?? "connect") {
    case "grpc":
      return createClient(AgentService, createGrpcTransport({ baseUrl, interceptors }));
    case "grpc-web":
      return createClient(
        AgentService,
        createGrpcWebTransport({
          baseUrl,
          httpVersion: "1.1",
          useBinaryFormat: options.binary ?? true,
          interceptors,
        }),
      );
    default:
      return createClient(
        AgentService,
        createConnectTransport({
          baseUrl,
          httpVersion: "1.1",
          useBinaryFormat: options.binary ?? false,
          interceptors,
        }),
      );
  }
}
