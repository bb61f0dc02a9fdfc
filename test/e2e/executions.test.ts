import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/server/app.js";
import {
  bearer,
  getExecution,
  readEvents,
  slowServer,
  submit,
  WEBHOOK_SECRET,
  waitEnded,
  waitForEvent,
  webhookReceiver,
} from "../support/executions.js";
import { pngDataUrl } from "../support/images.js";
import { INVOICE_SCHEMA, makeInvoice, renderInvoice } from "../support/invoices.js";
import { startBareServer } from "../support/server.js";

// Durable executions on the embedded store, through the REST surface, with the local planner (no
// model, no network): real tools, a real slow server for a long tool call, real webhook receivers.

const ALICE = "sk-exec-alice-1";
const BOB = "sk-exec-bobby-1";
let app: App;
let url: string;
let slow: Awaited<ReturnType<typeof slowServer>>;
let flaky: Awaited<ReturnType<typeof webhookReceiver>>;
let hanging: Awaited<ReturnType<typeof webhookReceiver>>;

beforeAll(async () => {
  slow = await slowServer(3_000);
  flaky = await webhookReceiver(WEBHOOK_SECRET, ["500"]);
  hanging = await webhookReceiver(WEBHOOK_SECRET, ["hang"]);
  ({ app, url } = await startBareServer({
    ORION_API_KEYS: `${ALICE}=alice,${BOB}=bob`,
    ORION_URL_ALLOW_HOSTS: [slow.host, flaky.host, hanging.host].join(","),
    ORION_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ORION_WEBHOOK_RETRY_BASE_MS: "200",
    ORION_WEBHOOK_TIMEOUT_MS: "500",
    ORION_EXECUTION_MAX_INPUTS: "3",
  }));
}, 30_000);

afterAll(async () => {
  await app?.shutdown(0);
  await Promise.all([slow?.close(), flaky?.close(), hanging?.close()]);
});

const hello = { batch: true, config: { prompt: "Say hello" } };

describe("an execution, end to end", () => {
  it("is accepted pending at once, runs in the background and completes with its answer", async () => {
    const accepted = await submit(url, ALICE, {
      ...hello,
      name: undefined,
      metadata: { environment: "dev" },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: "pending", completed_at: null, response: null });
    expect(accepted.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const ended = await waitEnded(url, ALICE, accepted.body.id);
    expect(ended).toMatchObject({
      status: "completed",
      attempts: 1,
      error: null,
      metadata: { environment: "dev" },
    });
    expect((ended.response as { text: string }).text.length).toBeGreaterThan(0);
    expect(ended.completed_at).not.toBeNull();
  });

  it("answers with an object that matches config.json_schema (an invoice PDF, read offline)", async () => {
    const { truth, doc } = makeInvoice(7, { layout: "beside" });
    const pdf = await renderInvoice(doc, "pdf");
    const accepted = await submit(url, ALICE, {
      batch: true,
      toolsets: ["document"],
      inputs: {
        invoice: {
          type: "file_url",
          file_url: { url: `data:application/pdf;base64,${Buffer.from(pdf).toString("base64")}` },
        },
      },
      config: { prompt: "Extract the invoice", json_schema: INVOICE_SCHEMA },
    });
    expect(accepted.status).toBe(200);
    const ended = await waitEnded(url, ALICE, accepted.body.id);
    expect(ended.status, ended.error ?? "").toBe("completed");
    expect((ended.response as Record<string, unknown>).invoice_number).toBe(truth.invoice_number);
    expect(ended.usage.steps).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it("lists its files, fetchable by execution id (and by nobody else)", async () => {
    const image = await pngDataUrl(40, 40, "#00ff00");
    const accepted = await submit(url, ALICE, {
      batch: true,
      toolsets: ["image"],
      inputs: { photo: { type: "image_url", image_url: { url: image } } },
      config: { prompt: "crop the top-left quarter" },
    });
    const ended = await waitEnded(url, ALICE, accepted.body.id);
    expect(ended.status).toBe("completed");
    expect(ended.artifacts.length).toBeGreaterThan(0);
    const [made] = ended.artifacts;
    const mine = await fetch(`${url}${made?.url}`, { headers: bearer(ALICE) });
    expect(mine.status).toBe(200);
    expect(mine.headers.get("content-type")).toMatch(/^image\//);
    const listed = await fetch(`${url}/v1/artifacts/list?execution_id=${ended.id}`, {
      headers: bearer(ALICE),
    });
    expect(JSON.stringify(await listed.json())).toContain(made?.id);
    const byExecution = await fetch(`${url}/v1/artifacts?object_id=${made?.id}&execution_id=${ended.id}`, {
      headers: bearer(ALICE),
    });
    expect(byExecution.status).toBe(200);
    const both = await fetch(
      `${url}/v1/artifacts?object_id=${made?.id}&execution_id=${ended.id}&session_id=x`,
      {
        headers: bearer(ALICE),
      },
    );
    expect(both.status).toBe(422);
    expect((await fetch(`${url}${made?.url}`, { headers: bearer(BOB) })).status).toBe(404);
  });

  it("lists the caller's executions newest first as a JSON array, with skip and limit", async () => {
    const key = "sk-exec-alice-1";
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await submit(url, key, { batch: true, config: { prompt: `Say hello ${i}` } })).body.id);
      await new Promise((r) => setTimeout(r, 5));
    }
    const res = await fetch(`${url}/v1/agent/executions?limit=3`, { headers: bearer(key) });
    const listed = (await res.json()) as { id: string }[];
    expect(Array.isArray(listed)).toBe(true);
    expect(listed.map((x) => x.id)).toEqual([...ids].reverse());
    const second = (await (
      await fetch(`${url}/v1/agent/executions?skip=1&limit=1`, { headers: bearer(key) })
    ).json()) as { id: string }[];
    expect(second.map((x) => x.id)).toEqual([ids[1]]);
    const bobs = (await (
      await fetch(`${url}/v1/agent/executions`, { headers: bearer(BOB) })
    ).json()) as unknown[];
    expect(bobs.some((x) => ids.includes((x as { id: string }).id))).toBe(false);
    expect((await fetch(`${url}/v1/agent/executions?limit=0`, { headers: bearer(key) })).status).toBe(422);
    expect((await fetch(`${url}/v1/agent/executions?limit=101`, { headers: bearer(key) })).status).toBe(422);
  });
});

describe("the event log", () => {
  it("streams every event with id = its sequence, dense from 1, ending after the final event", async () => {
    const accepted = await submit(url, ALICE, {
      batch: true,
      config: { prompt: `Load the file at ${slow.url.replace("slow.txt", "quick.txt")}` },
    });
    const { status, contentType, events } = await readEvents(url, ALICE, accepted.body.id);
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/event-stream/);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    const types = events.map((e) => e.event);
    expect(types[0]).toBe("execution.running");
    expect(types).toContain("tool.started");
    expect(types).toContain("tool.finished");
    expect(types).toContain("text.delta");
    expect(types.at(-1)).toBe("execution.completed");
    expect(events.at(-1)?.data.execution).toMatchObject({ status: "completed" });
  }, 30_000);

  it("replays from starting_after or Last-Event-ID with no gap and no duplicate", async () => {
    const accepted = await submit(url, ALICE, hello);
    const all = (await readEvents(url, ALICE, accepted.body.id)).events;
    expect(all.length).toBeGreaterThanOrEqual(3);
    const fromQuery = (await readEvents(url, ALICE, accepted.body.id, { startingAfter: 1 })).events;
    expect(fromQuery.map((e) => e.id)).toEqual(all.slice(1).map((e) => e.id));
    const fromHeader = (await readEvents(url, ALICE, accepted.body.id, { lastEventId: 2 })).events;
    expect(fromHeader.map((e) => e.id)).toEqual(all.slice(2).map((e) => e.id));
    expect(fromHeader).toEqual(all.slice(2));
  });

  it("follows a running execution live, from the middle, to its end", async () => {
    const accepted = await submit(url, ALICE, {
      batch: true,
      config: { prompt: `Load the file at ${slow.url}` },
    });
    const started = await waitForEvent(url, ALICE, accepted.body.id, "tool.started");
    const rest = await readEvents(url, ALICE, accepted.body.id, { startingAfter: Number(started.id) });
    expect(Number(rest.events[0]?.id)).toBe(Number(started.id) + 1);
    expect(rest.events.map((e) => e.event)).toContain("tool.finished");
    expect(rest.events.at(-1)?.event).toBe("execution.completed");
  }, 30_000);

  it("starting_after beyond the last event of an ended execution is the end, not an error", async () => {
    const accepted = await submit(url, ALICE, hello);
    await waitEnded(url, ALICE, accepted.body.id);
    const beyond = await readEvents(url, ALICE, accepted.body.id, { startingAfter: 9_999 });
    expect(beyond.status).toBe(200);
    expect(beyond.events).toEqual([]);
    const bad = await fetch(`${url}/v1/agent/executions/${accepted.body.id}/events?starting_after=-1`, {
      headers: bearer(ALICE),
    });
    expect(bad.status).toBe(422);
  });

  it("starting_after beyond the last event of a running one is its live tail", async () => {
    const accepted = await submit(url, ALICE, {
      batch: true,
      config: { prompt: `Load the file at ${slow.url}` },
    });
    await waitForEvent(url, ALICE, accepted.body.id, "tool.started");
    const tail = await readEvents(url, ALICE, accepted.body.id, { startingAfter: 9_999 });
    expect(tail.status).toBe(200);
    expect(tail.events.at(-1)?.event).toBe("execution.completed");
    expect(tail.events.map((e) => e.event)).not.toContain("execution.running");
  }, 30_000);
});

describe("cancel", () => {
  it("aborts the running tool, ends the execution cancelled, and ends its stream", async () => {
    const abortedBefore = slow.state.aborted;
    const accepted = await submit(url, ALICE, {
      batch: true,
      config: { prompt: `Load the file at ${slow.url}` },
    });
    await waitForEvent(url, ALICE, accepted.body.id, "tool.started");
    const watching = readEvents(url, ALICE, accepted.body.id);
    const cancelled = await fetch(`${url}/v1/agent/executions/${accepted.body.id}/cancel`, {
      method: "POST",
      headers: bearer(ALICE),
    });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { status: string }).status).toBe("cancelled");
    // The tool's fetch was cut, well before the slow server would have answered.
    await expect.poll(() => slow.state.aborted, { timeout: 2_000 }).toBe(abortedBefore + 1);
    const { events } = await watching;
    expect(events.at(-1)?.event).toBe("execution.cancelled");
    expect(events.map((e) => e.event)).not.toContain("tool.finished");
    const after = await getExecution(url, ALICE, accepted.body.id);
    expect(after.body).toMatchObject({ status: "cancelled", error: "cancelled by the caller" });
    const again = await fetch(`${url}/v1/agent/executions/${accepted.body.id}/cancel`, {
      method: "POST",
      headers: bearer(ALICE),
    });
    expect(again.status).toBe(409);
  }, 30_000);

  it("of a finished execution is 409", async () => {
    const accepted = await submit(url, ALICE, hello);
    await waitEnded(url, ALICE, accepted.body.id);
    const res = await fetch(`${url}/v1/agent/executions/${accepted.body.id}/cancel`, {
      method: "POST",
      headers: bearer(ALICE),
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("conflict_error");
  });
});

describe("ownership", () => {
  it("needs a signed-in caller: a guest gets 401 on every route", async () => {
    const guest = { "content-type": "application/json", "x-browser-id": "exec-guest" };
    const post = await fetch(`${url}/v1/agent/execute`, {
      method: "POST",
      headers: guest,
      body: JSON.stringify(hello),
    });
    expect(post.status).toBe(401);
    expect((await fetch(`${url}/v1/agent/executions`, { headers: guest })).status).toBe(401);
  });

  it("is 404 for another caller's execution, its events, its cancel; and for an unknown id", async () => {
    const accepted = await submit(url, ALICE, hello);
    const id = accepted.body.id;
    expect((await getExecution(url, BOB, id)).status).toBe(404);
    expect((await readEvents(url, BOB, id)).status).toBe(404);
    const cancel = await fetch(`${url}/v1/agent/executions/${id}/cancel`, {
      method: "POST",
      headers: bearer(BOB),
    });
    expect(cancel.status).toBe(404);
    expect((await getExecution(url, ALICE, "00000000-0000-0000-0000-000000000000")).status).toBe(404);
    expect((await getExecution(url, ALICE, id)).status).toBe(200);
  });
});

describe("bad input", () => {
  const refused = async (body: unknown, status = 422) => {
    const res = await submit(url, ALICE, body);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    return JSON.stringify(res.body);
  };

  it("batch: false or missing is a 422 saying batch is required", async () => {
    expect(await refused({ ...hello, batch: false })).toContain("batch must be true");
    expect(await refused({ config: { prompt: "hi" } })).toContain("batch");
  });

  it("an unknown toolset or model is a 422", async () => {
    expect(await refused({ ...hello, toolsets: ["telepathy"] })).toContain("toolsets");
    expect(await refused({ ...hello, model: "vlmrun-orion-9" })).toContain("model");
  });

  it("no prompt and no named agent is a 422; an unknown agent name too", async () => {
    expect(await refused({ batch: true })).toContain("prompt");
    expect(await refused({ batch: true, config: { prompt: "  " } })).toContain("prompt");
    expect(await refused({ batch: true, name: "no-such-agent:1" })).toContain("no agent named");
  });

  it("a callback_url that is not http(s), or is private, is a 422", async () => {
    expect(await refused({ ...hello, callback_url: "ftp://example.com/hook" })).toContain("callback_url");
    expect(await refused({ ...hello, callback_url: "http://10.1.2.3/hook" })).toContain("private");
    expect(await refused({ ...hello, callback_url: "http://169.254.169.254/latest" })).toContain(
      "callback_url",
    );
  });

  it("inputs over the caps are a 413: too many inputs, or a body over the caller's cap", async () => {
    const inputs = Object.fromEntries(["a", "b", "c", "d"].map((k) => [k, `text ${k}`]));
    await refused({ ...hello, inputs }, 413);
    const huge = "x".repeat(app.config.maxBodyBytes + 1);
    await refused({ ...hello, inputs: { a: huge } }, 413);
  });

  it("keys this server does not implement are a 422, not silently dropped", async () => {
    expect(await refused({ ...hello, priority: "high" })).toContain("priority");
    expect(await refused({ ...hello, unknown_key: 1 })).toContain("unknown_key");
    expect(await refused({ batch: true, config: { prompt: "hi", service_tier: "flex" } })).toContain(
      "service_tier",
    );
  });

  it("a malformed body or json_schema is a 4xx, and the server stays healthy", async () => {
    expect((await submit(url, ALICE, "{not json")).status).toBe(422);
    const badSchema = await submit(url, ALICE, {
      ...hello,
      config: { prompt: "hi", json_schema: { type: 12 } },
    });
    expect(badSchema.status).toBeGreaterThanOrEqual(400);
    expect(badSchema.status).toBeLessThan(500);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

describe("webhooks", () => {
  it("signs the POST per Standard Webhooks and retries a 500 with the same webhook-id", async () => {
    const accepted = await submit(url, ALICE, { ...hello, callback_url: flaky.url });
    expect(accepted.status).toBe(200);
    await expect.poll(() => flaky.deliveries.length, { timeout: 10_000 }).toBe(2);
    const [first, second] = flaky.deliveries;
    expect(first?.answer).toBe("500");
    expect(first?.valid && second?.valid).toBe(true);
    expect(second?.id).toBe(first?.id);
    expect(first?.id).toBe(`msg_${accepted.body.id}`);
    expect(second?.body).toMatchObject({ id: accepted.body.id, status: "completed" });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(flaky.deliveries).toHaveLength(2); // delivered: no more attempts
  }, 20_000);

  it("a receiver that hangs times out and is retried; the run is not delayed by it", async () => {
    const accepted = await submit(url, ALICE, { ...hello, callback_url: hanging.url });
    const ended = await waitEnded(url, ALICE, accepted.body.id, 5_000);
    expect(ended.status).toBe("completed");
    await expect.poll(() => hanging.deliveries.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(new Set(hanging.deliveries.map((d) => d.id))).toEqual(new Set([`msg_${accepted.body.id}`]));
    // The first attempt was still hanging when the execution had already completed.
    expect(Date.parse(ended.completed_at as string)).toBeLessThan(
      Number(hanging.deliveries[0]?.timestamp) * 1000 + 1_000,
    );
  }, 20_000);
});
