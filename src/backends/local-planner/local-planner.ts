import { create } from "@bufbuild/protobuf";

import { type ChatMessage, ToolCallSchema } from "../../../gen/vlmrun/agent/v1/chat_pb.js";
import { FinishReason, Role } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { schemaOf } from "../../agent/response-format.js";
import type {
  Backend,
  BackendRequest,
  BackendResult,
  BackendStreamPart,
  CallOptions,
  UsageCounts,
} from "../backend.js";
import { newToolCallId } from "../openai-compatible/response-parse.js";
import { fillArguments } from "./argument-filler.js";
import { buildObject, type ToolOutput } from "./build-object.js";
import { bestTool, META_QUESTION } from "./intent.js";

function textOf(message: ChatMessage | undefined): string {
  if (!message) return "";
  return [
    message.content ?? "",
    ...message.parts.map((p) => (p.part.case === "text" ? p.part.value : "")),
  ].join(" ");
}

/** Whitespace-separated words: the planner has no tokenizer, so usage counts words. */
function countWords(messages: ChatMessage[]): number {
  return messages.reduce((n, m) => n + textOf(m).split(/\s+/).filter(Boolean).length, 0);
}

/**
 * The built-in `local` backend: no network, no weights. It behaves like a model that can call
 * tools: it picks a tool from the offered tools' metadata and fills its arguments from the words
 * and the attached files; after the tool ran, it writes its answer from the tool's real result.
 * It never claims work it did not do.
 */
export class LocalPlanner implements Backend {
  readonly kind = "local";
  readonly description = "local";
  readonly capabilities = { logprobs: false, followsInstructions: false, vision: false };

  async generate(request: BackendRequest, options: CallOptions): Promise<BackendResult> {
    if (options.signal.aborted) throw options.signal.reason;
    const { messages } = request;
    const last = messages.at(-1);
    const lastUser = [...messages].reverse().find((m) => m.role === Role.USER);
    const text = textOf(lastUser);
    const note = messages.find((m) => m.role === Role.SYSTEM && /Files attached/.test(m.content ?? ""));
    const images = [...(note?.content ?? "").matchAll(/img_[0-9a-f]{6}/g)].map((m) => m[0]);
    const files = [...(note?.content ?? "").matchAll(/doc_[0-9a-f]{6}/g)].map((m) => m[0]);
    const prompt = countWords(messages);
    const result = (
      content: string,
      finishReason = FinishReason.STOP,
      toolCalls: BackendResult["choices"][0]["toolCalls"] = [],
    ) => {
      const usage: UsageCounts = {
        promptTokens: prompt,
        completionTokens: content.split(/\s+/).filter(Boolean).length,
        totalTokens: 0,
      };
      usage.totalTokens = usage.promptTokens + usage.completionTokens;
      return {
        choices: Array.from({ length: request.sampling.n }, (_, index) => ({
          index,
          ...(content ? { content } : {}),
          toolCalls,
          finishReason,
        })),
        usage,
      };
    };

    if (last?.role === Role.TOOL) {
      const schema = schemaOf(request.responseFormat);
      return result(
        schema
          ? JSON.stringify(buildObject(schema, this.toolOutputs(messages)))
          : this.answerFromResults(messages),
      );
    }
    if (META_QUESTION.test(text)) return result(this.describeSelf(request));
    const serverTools = request.tools;
    const tool = bestTool(text, serverTools);
    if (!tool) {
      return result(
        images.length > 0 || serverTools.length > 0
          ? `I could not match your request to one of the tools enabled for it (${serverTools.map((t) => t.function?.name).join(", ")}). Try naming what to do, e.g. "what size is this image". Other tools need their toolset in the request's toolsets (for example "image" to crop, resize or rotate); non-streaming requests get only "core" unless toolsets is set.`
          : "I am the built-in local planner: I run tools on the files you attach (for example, attach an image and ask for its size, or to crop or rotate it). For open conversation, configure a model with ORION_LLM_BASE_URL.",
      );
    }
    const { args, missing } = fillArguments(tool.function?.parameters ?? {}, text, images, files);
    if (missing.length > 0) {
      return result(
        `To run ${tool.function?.name} I need ${missing.join(" and ")}, which I could not find in your request${missing.includes("image") ? " (attach an image)" : ""}.`,
      );
    }
    const call = create(ToolCallSchema, {
      id: newToolCallId(),
      type: "function",
      function: { name: tool.function?.name ?? "", arguments: JSON.stringify(args) },
    });
    return result("", FinishReason.TOOL_CALLS, [call]);
  }

  /** The outputs of the tool messages that follow the last assistant turn. */
  private toolOutputs(messages: ChatMessage[]): (ToolOutput & { error?: string })[] {
    const outputs: (ToolOutput & { error?: string })[] = [];
    for (let i = messages.length - 1; i >= 0 && messages[i]?.role === Role.TOOL; i--) {
      outputs.unshift(JSON.parse(messages[i]?.content ?? "{}"));
    }
    return outputs;
  }

  /** Writes the answer from those outputs, and only from them. */
  private answerFromResults(messages: ChatMessage[]): string {
    return this.toolOutputs(messages)
      .map((o) => {
        if (o.error) return `The tool failed: ${o.error}.`;
        const text = (o.result as { text?: unknown } | undefined)?.text;
        return typeof text === "string" ? `${o.summary ?? "done"}:\n\n${text}` : `${o.summary ?? "done"}.`;
      })
      .join("\n");
  }

  private describeSelf(request: BackendRequest): string {
    const tools = request.tools.map((t) => `- ${t.function?.name}: ${t.function?.description}`);
    return tools.length > 0
      ? `I am Orion's built-in local planner. With the files you attach I can use these tools:\n${tools.join("\n")}`
      : "I am Orion's built-in local planner. Attach a file (an image, for example) and I can run tools on it.";
  }

  async *stream(request: BackendRequest, options: CallOptions): AsyncGenerator<BackendStreamPart> {
    // The answer is complete as soon as it is planned: it goes out at once, not re-chunked.
    const result = await this.generate(request, options);
    for (const choice of result.choices) {
      if (choice.content) yield { type: "text", choice: choice.index, text: choice.content };
      for (const [index, call] of choice.toolCalls.entries()) {
        yield {
          type: "tool-call",
          choice: choice.index,
          index,
          id: call.id,
          name: call.function?.name ?? "",
          argumentsDelta: call.function?.arguments ?? "",
        };
      }
      yield { type: "finish", choice: choice.index, reason: choice.finishReason };
    }
    if (result.usage) yield { type: "usage", usage: result.usage };
  }
}
