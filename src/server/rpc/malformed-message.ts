import type { ConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";

/**
 * connect-es reports a request body that is not valid protobuf binary as `internal`, which the
 * Connect protocol sends as HTTP 500 (gRPC and gRPC-Web carry it in a 200 with grpc-status 13, the
 * gRPC libraries' convention). A malformed body is the caller's fault: on Connect it becomes
 * `invalid_argument` (400), like a malformed JSON body already is. Other 500s pass untouched.
 */
export function malformedBinaryIsInvalidArgument(router: ConnectRouter): void {
  const handlers = router.handlers as UniversalHandler[];
  for (let i = 0; i < handlers.length; i++) {
    const handler = handlers[i] as UniversalHandler;
    handlers[i] = Object.assign(async (request: Parameters<UniversalHandler>[0]) => {
      const response = await handler(request);
      return response.status === 500 ? rewriteParseError(response) : response;
    }, handler);
  }
}

async function rewriteParseError(response: UniversalServerResponse): Promise<UniversalServerResponse> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body ?? []) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = JSON.parse(bytes.toString("utf8")) as typeof error;
  } catch {
    error = undefined;
  }
  const parseError =
    error?.code === "internal" &&
    typeof error.message === "string" &&
    error.message.startsWith("parse binary:");
  const body = parseError ? Buffer.from(JSON.stringify({ ...error, code: "invalid_argument" })) : bytes;
  const header = new Headers(response.header);
  if (parseError) header.set("content-length", String(body.byteLength));
  return {
    ...response,
    status: parseError ? 400 : response.status,
    header,
    body: (async function* () {
      yield body;
    })(),
  };
}
