import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { BackendStreamPart } from "../../src/backends/backend.js";
import { UpstreamEvents } from "../../src/backends/openai-compatible/upstream-events.js";

const event = (data: unknown) => `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
const delta = (content: string) =>
  event({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });

async function takeAll(events: UpstreamEvents): Promise<BackendStreamPart[]> {
  const all: BackendStreamPart[] = [];
  for (let parts = await events.take(); parts; parts = await events.take()) all.push(...parts);
  return all;
}

const texts = (parts: BackendStreamPart[]) => parts.map((p) => (p.type === "text" ? p.text : `<${p.type}>`));

describe("UpstreamEvents", () => {
  it("hands out parts in order across reads, characters whole, and ends at [DONE]", async () => {
    const body = new PassThrough();
    const events = new UpstreamEvents(body, 1 << 20, 1);
    const bytes = Buffer.from(delta("né") + delta("🎉") + event("[DONE]"));
    const cut = bytes.indexOf(Buffer.from("🎉")) + 2;
    body.write(bytes.subarray(0, 5));
    body.write(bytes.subarray(5, cut));
    setImmediate(() => body.end(bytes.subarray(cut)));
    expect(texts(await takeAll(events))).toEqual(["né", "🎉"]);
  });

  it("drops a leading byte-order mark, even one split across reads, and keeps any later one", async () => {
    const body = new PassThrough();
    const events = new UpstreamEvents(body, 1 << 20, 1);
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(delta("\ufeffa") + event("[DONE]")),
    ]);
    body.write(bytes.subarray(0, 2));
    setImmediate(() => body.end(bytes.subarray(2)));
    expect(texts(await takeAll(events))).toEqual(["\ufeffa"]);
  });

  it("refuses a stream larger than its limit", async () => {
    const body = new PassThrough();
    const events = new UpstreamEvents(body, 1_000, 1);
    body.write(delta("x".repeat(400)));
    body.write(`data: ${"y".repeat(2_000)}`); // one event that never ends
    await expect(takeAll(events)).rejects.toThrow(/larger than 1000 bytes/);
    expect(body.destroyed).toBe(true);
  });

  it("fails a stream that ends before [DONE], after the parts it did send", async () => {
    const body = new PassThrough();
    const events = new UpstreamEvents(body, 1 << 20, 1);
    body.end(delta("partial"));
    expect(texts((await events.take()) ?? [])).toEqual(["partial"]);
    await expect(events.take()).rejects.toThrow(/ended before \[DONE\]/);
  });

  it("hands out the parts before an in-band error, then the error", async () => {
    const body = new PassThrough();
    const events = new UpstreamEvents(body, 1 << 20, 1);
    body.write(delta("Hel") + event({ error: { message: "model crashed" } }));
    expect(texts((await events.take()) ?? [])).toEqual(["Hel"]);
    await expect(events.take()).rejects.toThrow(/model crashed/);
    events.close();
    expect(body.destroyed).toBe(true);
  });

  it("pauses the upstream only once the parts waiting for a slow consumer reach pauseAt bytes", async () => {
    const body = new PassThrough();
    const events = new UpstreamEvents(body, 1 << 20, 200);
    body.write(delta("a"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(body.isPaused()).toBe(false); // 60-odd bytes waiting: keep reading
    body.write(delta("b".repeat(200)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(body.isPaused()).toBe(true);
    expect(texts((await events.take()) ?? [])).toEqual(["a", "b".repeat(200)]);
    expect(body.isPaused()).toBe(false);
    // The count starts again after each take: one more small part does not pause it.
    body.write(delta("c"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(body.isPaused()).toBe(false);
    body.end(event("[DONE]"));
    expect(texts(await takeAll(events))).toEqual(["c"]);
  });

  it("pauses the upstream while parts wait for a slow consumer", async () => {
    const body = new PassThrough();
    const events = new UpstreamEvents(body, 1 << 20, 1);
    body.write(delta("a"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(body.isPaused()).toBe(true);
    expect(texts((await events.take()) ?? [])).toEqual(["a"]);
    expect(body.isPaused()).toBe(false);
    body.end(event("[DONE]"));
    expect(await events.take()).toBeUndefined();
  });

  it("after [DONE], drains a little and cuts off an upstream that keeps sending", async () => {
    const body = new PassThrough();
    const events = new UpstreamEvents(body, 1 << 20, 1);
    body.write(delta("done") + event("[DONE]"));
    expect(texts(await takeAll(events))).toEqual(["done"]);
    events.close();
    expect(body.destroyed).toBe(false); // still draining, so the connection could serve again
    for (let i = 0; i < 20 && !body.destroyed; i++) {
      body.write(`: ${"z".repeat(8_192)}\n`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(body.destroyed).toBe(true);
  });
});
