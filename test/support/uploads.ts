import http from "node:http";

/**
 * POSTs `size` bytes of JSON-typed filler to the chat route with a Content-Length, 1 MiB at a time,
 * as a client that keeps sending while the server answers would. Resolves to the status it read,
 * or rejects with the client-side error (a reset before any answer is an ECONNRESET/EPIPE).
 */
export function uploadWithContentLength(baseUrl: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}/v1/openai/chat/completions`,
      { method: "POST", headers: { "content-type": "application/json", "content-length": size } },
      (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.once("error", reject);
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}
