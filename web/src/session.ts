import { remembered } from "./settings.js";
import { ui } from "./ui.js";

// The conversation the page continues: remembered across reloads, shown above the transcript.

let sessionId = remembered.get("session-id") ?? "";

export const currentSession = (): string => sessionId;

export function setSession(id: string) {
  sessionId = id;
  remembered.set("session-id", id || null);
  ui.sessionLabel.textContent = id ? `Session ${id}` : "New conversation";
}
