import { create } from "@bufbuild/protobuf";
import { ChatCompletionRequestSchema, ContentPartSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import {
  type AgentModel,
  type Model,
  ResponseFormatType,
  Role,
  type Toolset,
} from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { partOf } from "./attachments.js";
import { handleChunk, show } from "./chat-view.js";
import { describeError } from "./errors.js";
import { markQuotaExhausted, refreshQuota } from "./quota.js";
import { currentSession } from "./session.js";
import { answerSchema, checkedValues, numberOf } from "./settings-panel.js";
import { AssistantTurn, userTurn } from "./transcript.js";
import { api } from "./transport.js";
import { ui } from "./ui.js";
import { pendingFiles, takePending } from "./uploads.js";
import { rememberSent } from "./view-code.js";

// Sending a message and streaming the answer; one run at a time, stopped by Stop or Escape.

let running: AbortController | undefined;

/** Whether an answer is streaming now. */
export const isRunning = (): boolean => running !== undefined;

/** Stops the answer streaming now, if any. */
export function stopRunning() {
  running?.abort();
}

function setRunning(controller: AbortController | undefined) {
  running = controller;
  ui.stop.hidden = controller === undefined;
  ui.send.disabled = controller !== undefined;
}

export async function send() {
  const text = ui.prompt.value.trim();
  if (running || (text === "" && pendingFiles().length === 0)) return;
  const schema = answerSchema();
  if (schema instanceof Error) return;
  const parts = [
    ...(text === "" ? [] : [create(ContentPartSchema, { part: { case: "text", value: text } })]),
    ...pendingFiles().map(partOf),
  ];
  const system = ui.systemPrompt.value.trim();
  const temperature = numberOf(ui.temperature);
  const maxTokens = numberOf(ui.maxTokens);
  const request = create(ChatCompletionRequestSchema, {
    messages: [...(system ? [{ role: Role.SYSTEM, content: system }] : []), { role: Role.USER, parts }],
    model: Number(ui.model.value || 0) as AgentModel,
    toolsets: checkedValues(ui.toolsets) as Toolset[],
    models: checkedValues(ui.providers) as Model[],
    sessionId: currentSession(),
    stream: true,
    preview: true,
    ...(temperature !== undefined ? { temperature } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(schema
      ? { responseFormat: { type: ResponseFormatType.JSON_SCHEMA, jsonSchema: { name: "answer", schema } } }
      : {}),
  });
  rememberSent();
  const attachments = pendingFiles();
  show(userTurn(text, attachments));
  ui.prompt.value = "";
  takePending();
  const turn = new AssistantTurn(undefined, schema !== undefined);
  show(turn.root);
  const controller = new AbortController();
  setRunning(controller);
  try {
    for await (const chunk of api().streamChatCompletion(request, { signal: controller.signal })) {
      handleChunk(turn, chunk);
      turn.root.scrollIntoView({ block: "end" });
    }
  } catch (error) {
    const { text: message, quotaExhausted } = describeError(error);
    turn.error(message);
    if (quotaExhausted) markQuotaExhausted();
  } finally {
    turn.done();
    setRunning(undefined);
    ui.prompt.focus();
    void refreshQuota();
  }
}

/** Send on submit and on Enter (Shift+Enter is a new line); Stop and Escape end the run. */
export function wireComposer() {
  ui.composer.addEventListener("submit", (e) => {
    e.preventDefault();
    void send();
  });
  ui.prompt.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && running) running.abort();
  });
  ui.stop.addEventListener("click", () => running?.abort());
}
