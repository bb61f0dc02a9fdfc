import type { Interceptor } from "@connectrpc/connect";

/** How to reach an Orion server, and as whom. */
export interface OrionClientOptions {
  /** e.g. "http://127.0.0.1:8080" (no path). */
  baseUrl: string;
  /** An API key or JWT, sent as `Authorization: Bearer …`; a function is read on every call. */
  apiKey?: string | (() => string | undefined);
  /** A guest's browser id (`X-Browser-Id`): 10 chats a day per id without a key. */
  browserId?: string;
  /** "connect" (default; JSON or binary over HTTP/1.1 or 2), "grpc" (HTTP/2, Node only), "grpc-web". */
  transport?: "connect" | "grpc" | "grpc-web";
  /** Binary protobuf instead of JSON on Connect and gRPC-Web (gRPC is always binary). */
  binary?: boolean;
  /** Interceptors of your own (tracing, logging), run after the identity headers are set. */
  interceptors?: Interceptor[];
}

/** Identity on every call: the browser id, and the key when there is one. */
export function identity(options: OrionClientOptions): Interceptor {
  return (next) => (req) => {
    if (options.browserId) req.header.set("x-browser-id", options.browserId);
    const key = (typeof options.apiKey === "function" ? options.apiKey() : options.apiKey)?.trim();
    if (key) req.header.set("authorization", `Bearer ${key}`);
    return next(req);
  };
}

export const interceptorsOf = (options: OrionClientOptions) => [
  identity(options),
  ...(options.interceptors ?? []),
];
