import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real HTTP server speaking the OpenAI chat-completions protocol, scripted per test. It stands
 * in for the LLM provider (vLLM, OpenAI, …) that cannot run here.
 */
export interface UpstreamCall {
  body: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
  /** Resolves when the client went away before the response finished. */
  aborted: Promise<void>;
  wasAborted: () => boolean;
}

export type Script = (call: UpstreamCall, res: http.ServerResponse) => void | Promise<void>;

export interface FakeUpstream {
  /** The base URL to configure as ORION_LLM_BASE_URL (ends in /v1). */
  url: string;
  calls: UpstreamCall[];
  script(script: Script): void;
  close(): Promise<void>;
}

export const DEFAULT_TEXT = "Hello from the fake upstream.";
const USAGE = { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 };

export function completionBody(call: UpstreamCall, content = DEFAULT_TEXT) {
  const n = typeof call.body.n === "number" ? call.body.n : 1;
  return {
    id: "up-1",
    object: "chat.completion",
    created: 1_700_000_000,
    model: call.body.model,
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: "assistant", content: n > 1 ? `${content} #${index}` : content },
      finish_reason: "stop",
      logprobs: null,
    })),
    usage: USAGE,
  };
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function chunk(call: UpstreamCall, choices: unknown[], extra: Record<string, unknown> = {}) {
  return {
    id: "up-1",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: call.body.model,
    choices,
    ...extra,
  };
}

export function startSse(res: http.ServerResponse) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
}

export function sendEvent(res: http.ServerResponse, data: unknown) {
  res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
}

/**
 * Streams `pieces` as content deltas for every choice, then finish, usage (if asked) and [DONE].
 * With `gapMs`, each piece waits that long first (for clients that must see the text arrive in parts).
 */
export async function streamText(
  call: UpstreamCall,
  res: http.ServerResponse,
  pieces = ["Hello", " from", " the fake upstream."],
  usage = USAGE,
  gapMs = 0,
) {
  const n = typeof call.body.n === "number" ? call.body.n : 1;
  startSse(res);
  for (let index = 0; index < n; index++) {
    sendEvent(res, chunk(call, [{ index, delta: { role: "assistant", content: "" }, finish_reason: null }]));
  }
  for (const piece of pieces) {
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    for (let index = 0; index < n; index++) {
      sendEvent(res, chunk(call, [{ index, delta: { content: piece }, finish_reason: null }]));
    }
  }
  for (let index = 0; index < n; index++) {
    sendEvent(res, chunk(call, [{ index, delta: {}, finish_reason: "stop" }]));
  }
  const options = call.body.stream_options as { include_usage?: boolean } | undefined;
  if (options?.include_usage) {
    sendEvent(res, chunk(call, [], { usage }));
  }
  sendEvent(res, "[DONE]");
  res.end();
}

export const defaultScript: Script = (call, res) => {
  if (call.body.stream === true) streamText(call, res);
  else sendJson(res, 200, completionBody(call));
};

export async function startFakeUpstream(initial: Script = defaultScript): Promise<FakeUpstream> {
  let current = initial;
  const calls: UpstreamCall[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let aborted = false;
    let markAborted!: () => void;
    const abortedPromise = new Promise<void>((resolve) => {
      markAborted = resolve;
    });
    res.once("close", () => {
      if (!res.writableFinished) {
        aborted = true;
        markAborted();
      }
    });
    const call: UpstreamCall = {
      body: JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"),
      headers: req.headers,
      aborted: abortedPromise,
      wasAborted: () => aborted,
    };
    calls.push(call);
    try {
      await current(call, res);
    } catch {
      res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    script(script) {
      current = script;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Streams one assistant turn that calls a tool the way OpenAI does: the first delta names it, the
 * arguments follow as a fragment, then finish_reason "tool_calls", usage and [DONE].
 */
export function streamToolCall(
  call: UpstreamCall,
  res: http.ServerResponse,
  tool: { id: string; name: string; arguments: string },
  usage = USAGE,
) {
  startSse(res);
  const first = { index: 0, id: tool.id, type: "function", function: { name: tool.name, arguments: "" } };
  sendEvent(
    res,
    chunk(call, [{ index: 0, delta: { role: "assistant", tool_calls: [first] }, finish_reason: null }]),
  );
  const rest = { index: 0, function: { arguments: tool.arguments } };
  sendEvent(res, chunk(call, [{ index: 0, delta: { tool_calls: [rest] }, finish_reason: null }]));
  sendEvent(res, chunk(call, [{ index: 0, delta: {}, finish_reason: "tool_calls" }]));
  sendEvent(res, chunk(call, [], { usage }));
  sendEvent(res, "[DONE]");
  res.end();
}
