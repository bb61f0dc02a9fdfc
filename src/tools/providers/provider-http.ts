import type { ProviderConfig } from "../../config.js";
import { ToolError } from "../../errors.js";

/** The most a provider may send back (masks, meshes and videos arrive base64 in JSON). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** Where a configured service is and how to call it: a provider's settings, or the search endpoint's. */
export type Endpoint = Pick<ProviderConfig, "url" | "apiKey" | "timeoutMs"> & { urlSetting?: string };

export interface ProviderCall {
  /** The service's name in error messages, e.g. "meta-sam3". */
  provider: string;
  config: Endpoint;
  signal: AbortSignal;
  timeoutMs?: number;
}

function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

async function readCapped(res: Response): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? 0);
  if (declared > MAX_RESPONSE_BYTES) throw new Error(`the response is ${declared} bytes, over the cap`);
  const reader = res.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new Error("the response is over the size cap");
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The system error code (ECONNREFUSED, ENOTFOUND…) in fetch's cause chain, else the deepest message. */
function networkReason(error: unknown): string {
  let message = (error as Error).message;
  for (
    let e = error as { code?: unknown; message?: string; cause?: unknown; errors?: unknown[] } | undefined;
    e;
  ) {
    if (typeof e.code === "string" && e.code.startsWith("E")) return e.code;
    if (e.message) message = e.message;
    e = (e.cause ?? e.errors?.[0]) as typeof e;
  }
  return message;
}

/** The reason in an error body: `{"error": {"message": …}}` or `{"error": "…"}`. */
function reasonIn(body: unknown): string | undefined {
  const error = (body as { error?: unknown }).error;
  if (error && typeof error === "object") return (error as { message?: string }).message;
  return typeof error === "string" ? error : undefined;
}

/**
 * One JSON request to a configured service (a tool provider, or the search endpoint). Its endpoint is the operator's own (often on a
 * private network), so it is not put through the URL guard that user-supplied URLs go through.
 * Every failure becomes a ToolError that names the provider and says what happened.
 */
export async function callProvider(
  call: ProviderCall,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = call.config.url;
  if (!url) throw new ToolError(`${call.provider} is not configured: set ${call.config.urlSetting}`);
  const timeoutMs = call.timeoutMs ?? call.config.timeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (call.config.apiKey) headers.authorization = `Bearer ${call.config.apiKey}`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(join(url, path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.any([call.signal, timeout]),
    });
    text = await readCapped(res);
  } catch (error) {
    if (call.signal.aborted) throw call.signal.reason;
    if (timeout.aborted) throw new ToolError(`${call.provider} did not answer within ${timeoutMs / 1000} s`);
    throw new ToolError(`${call.provider} could not be reached (${networkReason(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new ToolError(`${call.provider} answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    throw new ToolError(
      `${call.provider} refused the request (${res.status}): ${reasonIn(parsed) ?? "no reason given"}`,
    );
  }
  return parsed;
}

/** An artifact as the `{media_type, data_base64}` object the provider contract uses. */
export function mediaOf(found: { meta: { contentType: string }; data: Uint8Array }) {
  return { media_type: found.meta.contentType, data_base64: Buffer.from(found.data).toString("base64") };
}
