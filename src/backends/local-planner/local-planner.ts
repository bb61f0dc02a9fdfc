import type { JsonObject } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import {
  type ChatMessage,
  ToolCallSchema,
  type ToolDefinition,
} from "../../../gen/vlmrun/agent/v1/chat_pb.js";
import { FinishReason, Role } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { kindOfId } from "../../artifacts/artifacts.js";
import { validationError } from "../../errors.js";
import { schemaOf } from "../../schema/schema-of.js";
import { readText } from "../../tools/core/read-text.js";
import { ocr } from "../../tools/document/ocr.js";
import { PDF_TEXT_NAME } from "../../tools/document/pdf-text.js";
import type {
  Backend,
  BackendRequest,
  BackendResult,
  BackendStreamPart,
  CallOptions,
  UsageCounts,
} from "../backend.js";
import { newToolCallId } from "../tool-call-id.js";
import { fillArguments, type Known } from "./argument-filler.js";
import { buildObject, facts, type ToolOutput } from "./build-object.js";
import { documentLines, extractToSchema, type Missing, type TextLine } from "./extract.js";
import { CONTENT_QUESTION, GREETING, META_QUESTION, rankTools } from "./intent.js";

/** How much of a request's text the planner reads for its instruction. */
const PLANNER_TEXT_CHARS = 4096;

/** Nouns for the media a request is about: naming them does not ask for a second tool. */
const MEDIA_WORDS = new Set([
  "image",
  "file",
  "video",
  "pdf",
  "document",
  "page",
  "text",
  "url",
  "photo",
  "info",
]);

/**
 * The best-ranked tool whose required arguments are all known, or the best one with what it
 * lacks. A follow-up step (`followUp`) must be asked for by a word of its name beyond media nouns.
 */
function plan(request: string, tools: ToolDefinition[], known: Known, followUp: boolean) {
  // The words of an instruction: its arguments are found by regexes that rescan runs of digits or
  // letters, so a caller's megabyte of them must not reach them (4 KiB is pages of instruction).
  const text = request.slice(0, PLANNER_TEXT_CHARS);
  let lacking: { tool: ToolDefinition; args?: undefined; missing: string[] } | undefined;
  for (const { tool, namedBy } of rankTools(text, tools)) {
    if (followUp && !namedBy.some((w) => !MEDIA_WORDS.has(w))) continue;
    const { args, missing } = fillArguments(tool.function?.parameters ?? {}, text, known);
    if (missing.length === 0) return { tool, args, missing };
    lacking ??= { tool, missing };
  }
  return followUp ? undefined : lacking;
}

/**
 * The next reading step of a schema extraction: the PDF's text layer first, OCR for an image or
 * for a PDF page with no text layer (a scan); undefined once the text is read.
 */
function readerStep(
  tools: ToolDefinition[],
  known: Known,
  used: Set<string>,
  lines: TextLine[],
): { tool: ToolDefinition; args: JsonObject } | undefined {
  const offered = (name: string) => tools.find((t) => t.function?.name === name && !used.has(name));
  const file = known.files[0];
  const image = known.images[0];
  if (used.size === 0) {
    const pdfTextTool = offered(PDF_TEXT_NAME);
    // With layout: the lines' boxes are what tell a value below its label from one beside another.
    if (file && pdfTextTool) return { tool: pdfTextTool, args: { file, layout: true } };
    const ocrTool = offered(ocr.name);
    if (image && ocrTool) return { tool: ocrTool, args: { image } };
    if (file && ocrTool) return { tool: ocrTool, args: { file, page: 1 } };
    // Without the document toolset, a plain text file (txt, md, csv, html) is read as it is.
    const readTextTool = offered(readText.name);
    if (file && readTextTool) return { tool: readTextTool, args: { file } };
    return undefined;
  }
  const scanned = lines.length === 0 && used.has(PDF_TEXT_NAME);
  const ocrTool = offered(ocr.name);
  if (scanned && file && ocrTool) return { tool: ocrTool, args: { file, page: 1 } };
  return undefined;
}

/** A required property the document does not show: a 422 naming it and what was looked for. */
function notFoundInDocument(lost: Missing[], sources: string[]) {
  return validationError(
    lost.map((m) => ({
      field: "response_format",
      description: `could not find "${m.name}" in ${sources.join(", ") || "the attached files"} (looked for a label reading ${m.searched
        .slice(0, 6)
        .map((l) => `"${l}"`)
        .join(", ")})`,
      type: "value_error",
    })),
  );
}

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
  readonly capabilities = { logprobs: false, followsInstructions: false, vision: false, tools: true };

  async generate(request: BackendRequest, options: CallOptions): Promise<BackendResult> {
    if (options.signal.aborted) throw options.signal.reason;
    const { messages } = request;
    const last = messages.at(-1);
    const lastUserAt = messages.findLastIndex((m) => m.role === Role.USER);
    const lastUser = messages[lastUserAt];
    const text = textOf(lastUser);
    const attached = (request.attachments ?? []).map((a) => a.id);
    // This turn so far: the tools already run and what they produced.
    const turn = messages.slice(lastUserAt + 1);
    const outputs = this.outputsOf(turn);
    const used = new Set(turn.flatMap((m) => m.toolCalls.map((c) => c.function?.name ?? "")));
    const ids = [...attached, ...outputs.flatMap((o) => o.artifacts ?? [])];
    const known: Known = {
      images: ids.filter((id) => kindOfId(id) === "image"),
      files: ids.filter((id) => kindOfId(id) === "document"),
      videos: ids.filter((id) => kindOfId(id) === "video"),
      facts: facts(outputs),
    };
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

    const call = (tool: ToolDefinition, args: JsonObject) =>
      result("", FinishReason.TOOL_CALLS, [
        create(ToolCallSchema, {
          id: newToolCallId(),
          type: "function",
          function: { name: tool.function?.name ?? "", arguments: JSON.stringify(args) },
        }),
      ]);

    // The text the tools have read so far this turn (PDF text layers, OCR lines).
    const lines = documentLines(outputs);
    const schema = schemaOf(request.responseFormat);
    const extracting = schema !== undefined && Object.keys(schema.properties ?? {}).length > 0;
    if (extracting) {
      // Schema extraction from a document or an image: read its text, then fill the schema.
      const read = readerStep(request.tools, known, used, lines);
      if (read) return call(read.tool, read.args);
      if (lines.length > 0) {
        const { value, missing, provenance } = extractToSchema(schema, lines);
        const required = new Set((schema.required as string[] | undefined) ?? []);
        const lost = missing.filter((m) => required.has(m.name));
        if (lost.length > 0) throw notFoundInDocument(lost, [...known.files, ...known.images]);
        const answer = result(JSON.stringify(value));
        if (request.metadata?.provenance === "true") {
          for (const choice of answer.choices) Object.assign(choice, { provenance });
        }
        return answer;
      }
    }
    if (last?.role === Role.TOOL) {
      // A scanned PDF has no text layer: a question about its content goes on to OCR.
      const ocrNext = CONTENT_QUESTION.test(text) ? readerStep(request.tools, known, used, lines) : undefined;
      if (ocrNext) return call(ocrNext.tool, ocrNext.args);
      // Another step when the request also names a tool not yet run whose arguments are now known
      // (e.g. "find the faces and blur them": blur_regions takes detect_faces' boxes).
      const failed = outputs.some((o) => o.error);
      const next = failed
        ? undefined
        : plan(
            text,
            request.tools.filter((t) => !used.has(t.function?.name ?? "")),
            known,
            true,
          );
      if (next?.args) return call(next.tool, next.args);
      return result(schema ? JSON.stringify(buildObject(schema, outputs)) : this.answerFrom(outputs));
    }
    if (META_QUESTION.test(text) || GREETING.test(text)) return result(this.describeSelf(request));
    const serverTools = request.tools;
    // A question about what a document or picture says is answered with its text.
    if (CONTENT_QUESTION.test(text)) {
      const read = readerStep(serverTools, known, used, lines);
      if (read) return call(read.tool, read.args);
    }
    const chosen = plan(text, serverTools, known, false);
    if (!chosen) {
      return result(
        known.images.length > 0 || serverTools.length > 0
          ? `I could not match your request to one of the tools enabled for it (${serverTools.map((t) => t.function?.name).join(", ")}). Try naming what to do, e.g. "what size is this image". Other tools need their toolset in the request's toolsets (for example "image" to crop, resize or rotate); non-streaming requests get only "core" unless toolsets is set.`
          : this.describeSelf(request),
      );
    }
    if (!chosen.args) {
      const missing = chosen.missing;
      const needsFile = missing.find((m) => ["image", "images", "file", "video"].includes(m));
      return result(
        `To run ${chosen.tool.function?.name} I need ${missing.join(" and ")}, which I could not find in your request${needsFile ? ` (attach ${needsFile === "file" ? "a document" : `an ${needsFile === "images" ? "image" : needsFile}`})` : ""}.`,
      );
    }
    return call(chosen.tool, chosen.args);
  }

  /** The results of the tool messages of this turn, in order. */
  private outputsOf(turn: ChatMessage[]): (ToolOutput & { error?: string })[] {
    return turn
      .filter((m) => m.role === Role.TOOL)
      .map((m) => {
        try {
          return JSON.parse(m.content ?? "{}") as ToolOutput & { error?: string };
        } catch {
          return { error: "unreadable tool result" };
        }
      });
  }

  /**
   * Writes the answer from the tools' outputs, and only from them. Every artifact a tool made is
   * named, in the order it was made, so the caller can fetch it from the reply alone.
   */
  private answerFrom(outputs: (ToolOutput & { error?: string })[]): string {
    return outputs
      .map((o) => {
        if (o.error) return `The tool failed: ${o.error}.`;
        const made = o.artifacts ?? [];
        const said = o.summary ?? "done";
        const summary = made.every((id) => said.includes(id))
          ? said
          : `${said} (files made: ${made.join(", ")})`;
        const text = (o.result as { text?: unknown } | undefined)?.text;
        return typeof text === "string" ? `${summary}:\n\n${text}` : `${summary}.`;
      })
      .join("\n");
  }

  /** What it can do offline, with the files it is given, and how to point the server at a model. */
  private describeSelf(request: BackendRequest): string {
    const tools = request.tools.map((t) => `- ${t.function?.name}: ${t.function?.description}`);
    const offline =
      "I am Orion's built-in local planner: no model is configured, so I answer by running tools on the files you attach. " +
      'For example: attach a PDF or a scan and ask "what does this document say?", or send a response_format JSON Schema to extract its fields (toolsets: ["document"]); ' +
      'attach an image and ask to crop, resize or find the faces (toolsets: ["image"]); attach a video and ask for 4 frames (toolsets: ["video"]).';
    const model =
      "For open conversation, point the server at a model: set ORION_LLM_BASE_URL (any OpenAI-compatible endpoint) and ORION_LLM_MODEL.";
    return tools.length > 0
      ? `${offline}\n\nTools enabled for this request:\n${tools.join("\n")}\n\n${model}`
      : `${offline}\n\n${model}`;
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
