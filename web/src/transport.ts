import { type AgentClient, agentClient, type Protocol } from "./client.js";
import { browserId } from "./settings.js";
import { ui } from "./ui.js";

// The one AgentService client the page calls, remade when the protocol setting changes.

/** This browser's guest id, sent when no API key is pasted. */
export const guestId = browserId();

let client: AgentClient;

/** (Re)connects over the protocol chosen in the settings, with the API key as it is at each call. */
export function connect() {
  client = agentClient(ui.protocol.value as Protocol, guestId, () => ui.apiKey.value);
}

export const api = (): AgentClient => client;
