import { createOrionClient, type OrionClient } from "../../src/client/browser.js";

export type Protocol = "connect" | "grpc-web";
export type AgentClient = OrionClient;

/** The AgentService over Connect (JSON over HTTP/1.1) or gRPC-Web, on the page's own origin, with
 * the guest's browser id and the API key when one was pasted: the package's own typed client. */
export function agentClient(protocol: Protocol, browserId: string, apiKey: () => string): AgentClient {
  return createOrionClient({ baseUrl: window.location.origin, transport: protocol, browserId, apiKey });
}
