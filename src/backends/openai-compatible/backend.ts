import type { UpstreamConfig } from "../../config.js";
import type { Backend, BackendRequest, BackendResult, BackendStreamPart, CallOptions } from "../backend.js";
import { HttpTransport, readBody } from "./http-transport.js";
import { upstreamBody } from "./request-body.js";
import { completionOf, refusesTools, toolsRefusedError, upstreamStatusError } from "./response-parse.js";
import { UpstreamEvents } from "./upstream-events.js";

const MAX_ERROR_BODY = 64 * 1024;
const MAX_COMPLETION_BODY = 64 * 1024 * 1024;

export interface OpenAICompatibleOptions {
  timeoutMs: number;
  maxSockets: number;
  /** The model reads image parts (ORION_LLM_VISION). */
  vision: boolean;
  /** A stream's upstream is paused once this many bytes wait for the client (ORION_STREAM_BUFFER_BYTES). */
  streamBufferBytes: number;
  /** Called once per upstream call with its outcome ("ok" or an error reason) and duration. */
  observe?: (outcome: string, seconds: number) => void;
}

/** Any server that speaks OpenAI chat completions: vLLM, Ollama, llama.cpp, OpenAI, Fireworks, Gemini. */
export class OpenAICompatibleBackend implements Backend {
  readonly kind = "openai-compatible";
  readonly description: string;
  readonly capabilities: Backend["capabilities"];
  private readonly transport: HttpTransport;

  constructor(
    private readonly upstream: UpstreamConfig,
    private readonly options: OpenAICompatibleOptions,
  ) {
    this.description = `openai-compatible:${upstream.model}`;
    this.capabilities = {
      logprobs: true,
      followsInstructions: true,
      vision: options.vision,
      tools: upstream.tools,
      toolsSetting: upstream.toolsSetting,
    };
    this.transport = new HttpTransport(upstream.baseUrl, {
      timeoutMs: options.timeoutMs,
      maxSockets: options.maxSockets,
    });
  }

  private headers(requestId: string, stream: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      accept: stream ? "text/event-stream" : "application/json",
      "x-request-id": requestId,
    };
    if (this.upstream.apiKey) headers.authorization = `Bearer ${this.upstream.apiKey}`;
    return headers;
  }

  private async call(request: BackendRequest, options: CallOptions, stream: boolean) {
    const payload = JSON.stringify(upstreamBody(this.upstream.model, request, stream));
    const response = await this.transport.post(
      "/chat/completions",
      payload,
      this.headers(options.requestId, stream),
      options.signal,
    );
    if (response.status >= 200 && response.status < 300) return response;
    const text = await readBody(response.body, MAX_ERROR_BODY).then(
      (b) => b.toString("utf8"),
      () => "",
    );
    const retryHeader = response.headers["retry-after"];
    const retryAfter = Array.isArray(retryHeader) ? retryHeader[0] : retryHeader;
    if (request.tools.length > 0 && refusesTools(response.status, text)) {
      throw toolsRefusedError(response.status, text, this.upstream.toolsSetting);
    }
    throw upstreamStatusError(response.status, retryAfter, text, this.transport.origin);
  }

  private observe(started: number, error?: unknown): void {
    const outcome = error === undefined ? "ok" : ((error as { code?: unknown }).code?.toString() ?? "error");
    this.options.observe?.(outcome, (performance.now() - started) / 1000);
  }

  async generate(request: BackendRequest, options: CallOptions): Promise<BackendResult> {
    const started = performance.now();
    try {
      const response = await this.call(request, options, false);
      const body = await readBody(response.body, MAX_COMPLETION_BODY);
      const result = completionOf(JSON.parse(body.toString("utf8")));
      this.observe(started);
      return result;
    } catch (error) {
      const failure = this.transport.classify(error, options.signal, true);
      this.observe(started, failure);
      throw failure;
    }
  }

  async *stream(request: BackendRequest, options: CallOptions): AsyncGenerator<BackendStreamPart> {
    const started = performance.now();
    let failure: unknown;
    const response = await this.call(request, options, true).catch((e: unknown) => {
      this.observe(started, e);
      throw e;
    });
    const events = new UpstreamEvents(response.body, MAX_COMPLETION_BODY, this.options.streamBufferBytes);
    try {
      // `for … yield`, not `yield*`: delegating to an array from an async generator wraps it in an
      // async iterator, a promise per part.
      for (let parts = await events.take(); parts; parts = await events.take()) {
        for (const part of parts) yield part;
      }
    } catch (error) {
      failure = this.transport.classify(error, options.signal, true);
      throw failure;
    } finally {
      events.close();
      this.observe(started, failure);
    }
  }

  close(): void {
    this.transport.close();
  }
}
