import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** What tests send as a signed-in caller's headers. */
export const bearer = (key: string) => ({
  authorization: `Bearer ${key}`,
  "content-type": "application/json",
});

export interface ExecutionJson {
  id: string;
  name: string | null;
  status: string;
  created_at: string;
  completed_at: string | null;
  response: unknown;
  usage: { steps: number; duration_seconds: number };
  error: string | null;
  artifacts: { id: string; url: string }[];
  attempts: number;
}

export async function submit(url: string, key: string, body: unknown) {
  const res = await fetch(`${url}/v1/agent/execute`, {
    method: "POST",
    headers: bearer(key),
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ExecutionJson & { detail?: unknown } };
}

export async function getExecution(url: string, key: string, id: string) {
  const res = await fetch(`${url}/v1/agent/executions/${id}`, { headers: bearer(key) });
  return { status: res.status, body: (await res.json()) as ExecutionJson };
}

/** Polls until the execution has ended (or the deadline passes). */
export async function waitEnded(
  url: string,
  key: string,
  id: string,
  timeoutMs = 30_000,
): Promise<ExecutionJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await getExecution(url, key, id).catch(() => ({ status: 0, body: undefined }));
    if (status === 200 && body && ["completed", "failed", "cancelled"].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`execution ${id} did not end: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

export function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split("\n")) {
        const at = line.indexOf(": ");
        if (at > 0) fields[line.slice(0, at)] = line.slice(at + 2);
      }
      return { id: fields.id ?? "", event: fields.event ?? "", data: JSON.parse(fields.data ?? "{}") };
    });
}

/** The whole event stream (it ends after the final event), within a deadline. */
export async function readEvents(
  url: string,
  key: string,
  id: string,
  options: { startingAfter?: number; lastEventId?: number; timeoutMs?: number } = {},
) {
  const query = options.startingAfter === undefined ? "" : `?starting_after=${options.startingAfter}`;
  const headers: Record<string, string> = bearer(key);
  if (options.lastEventId !== undefined) headers["last-event-id"] = String(options.lastEventId);
  const res = await fetch(`${url}/v1/agent/executions/${id}/events${query}`, {
    headers,
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    events: res.ok ? parseSse(text) : [],
    text,
  };
}

/** Waits until the stream shows an event of `type` (reading it live), then stops reading. */
export async function waitForEvent(url: string, key: string, id: string, type: string, timeoutMs = 30_000) {
  const res = await fetch(`${url}/v1/agent/executions/${id}/events`, {
    headers: bearer(key),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const reader = res.body?.getReader();
  if (!reader) throw new Error("no body");
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended without ${type}: ${text.slice(0, 2000)}`);
    text += Buffer.from(value).toString("utf8");
    const found = parseSse(text.slice(0, text.lastIndexOf("\n\n") + 2)).find((e) => e.event === type);
    if (found) {
      await reader.cancel();
      return found;
    }
  }
}

/** A server whose answers take `delayMs`, reporting requests that were abandoned before the answer. */
export async function slowServer(delayMs: number) {
  const state = { requests: 0, aborted: 0, answered: 0 };
  const server = http.createServer((_req, res) => {
    state.requests++;
    const timer = setTimeout(() => {
      state.answered++;
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("slow hello");
    }, delayMs);
    res.on("close", () => {
      if (!res.writableFinished) {
        clearTimeout(timer);
        state.aborted++;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    state,
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/slow.txt`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A Standard Webhooks receiver: checks each signature, answers from `answers` in turn (then 200). */
export async function webhookReceiver(secret: string, answers: ("500" | "hang" | "200")[] = []) {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const deliveries: {
    id: string;
    timestamp: string;
    valid: boolean;
    body: Record<string, unknown>;
    answer: string;
  }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const id = String(req.headers["webhook-id"]);
      const timestamp = String(req.headers["webhook-timestamp"]);
      const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
      const signatures = String(req.headers["webhook-signature"] ?? "").split(" ");
      const answer = answers[deliveries.length] ?? "200";
      deliveries.push({
        id,
        timestamp,
        valid: signatures.includes(`v1,${expected}`),
        body: JSON.parse(body),
        answer,
      });
      if (answer === "hang") return; // never answers
      res.writeHead(Number(answer));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    deliveries,
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/hook`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const WEBHOOK_SECRET = `whsec_${Buffer.from("orion-test-webhook-secret-0123456789").toString("base64")}`;
