import { create } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { ChatMessageSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { loadConfig, type SessionConfig } from "../../src/config.js";
import { errorFacts, Reason } from "../../src/errors.js";
import { Sessions } from "../../src/sessions/sessions.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { connectErrorOf } from "../support/connect-error.js";
import { failingStore } from "../support/failing-store.js";

// Sessions driven directly over a real MemoryStore: ownership, order, trimming, what is kept.

const message = (role: Role, content: string) => create(ChatMessageSchema, { role, content });
const user = (content: string) => message(Role.USER, content);
const assistant = (content: string) => message(Role.ASSISTANT, content);
const contents = (messages: { content?: string }[]) => messages.map((m) => m.content);

function sessionsOf(limits: Partial<SessionConfig> = {}) {
  const store = new MemoryStore();
  const config = { ...loadConfig({}).sessions, ...limits };
  return { sessions: new Sessions(store, config), store, config };
}

/** What a call was refused with. */
async function refused(call: Promise<unknown>) {
  const error = await connectErrorOf(call);
  return { code: error.code, reason: errorFacts(error).reason };
}

const NOT_FOUND = { code: Code.NotFound, reason: Reason.notFound };

describe("Sessions, driven directly", () => {
  it("keeps each turn in order and gives it back as the history", async () => {
    const { sessions } = sessionsOf();
    await sessions.append("s1", "user:a", [user("one"), assistant("1")]);
    await sessions.append("s1", "user:a", [user("two"), assistant("2")]);
    expect(contents(await sessions.history("s1", "user:a"))).toEqual(["one", "1", "two", "2"]);
    expect(contents((await sessions.get("s1", "user:a")).messages)).toEqual(["one", "1", "two", "2"]);
    expect(await sessions.history("new", "user:a")).toEqual([]);
  });

  it("gives another owner the same id as a conversation of its own, and never the first one", async () => {
    const { sessions } = sessionsOf();
    await sessions.append("s1", "user:a", [user("secret")]);
    expect(await refused(sessions.get("s1", "user:b"))).toEqual(NOT_FOUND);
    expect(await refused(sessions.delete("s1", "user:b"))).toEqual(NOT_FOUND);
    expect(await sessions.history("s1", "user:b")).toEqual([]);
    await sessions.append("s1", "user:b", [user("mine")]);
    expect(contents(await sessions.history("s1", "user:a"))).toEqual(["secret"]);
    expect(contents(await sessions.history("s1", "user:b"))).toEqual(["mine"]);
    // Unknown and someone else's read alike.
    const unknown = await sessions.get("nope", "user:b").catch((e: ConnectError) => e.rawMessage);
    const others = await sessions.get("s1", "user:c").catch((e: ConnectError) => e.rawMessage);
    expect(others).toBe((unknown as string).replace("nope", "s1"));
  });

  it("answers NotFound, and appends nothing, where the stored session has another owner", async () => {
    const { sessions, store, config } = sessionsOf();
    const append = vi.spyOn(store, "appendSession");
    await sessions.append("s1", "user:a", [user("hello")]);
    const key = append.mock.calls[0]?.[0] as string;
    // The store key of user:a's "s1", held by someone else (a hash-prefix collision).
    await store.deleteSession(key);
    await store.appendSession(key, "user:z", ['{"role":"ROLE_USER","content":"theirs"}'], {
      ttlMs: config.ttlMs,
      maxEntries: config.maxMessages,
      maxBytes: config.maxBytes,
    });
    expect(await refused(sessions.history("s1", "user:a"))).toEqual(NOT_FOUND);
    expect(await refused(sessions.append("s1", "user:a", [user("more")]))).toEqual(NOT_FOUND);
    expect(await refused(sessions.get("s1", "user:a"))).toEqual(NOT_FOUND);
    expect(await refused(sessions.delete("s1", "user:a"))).toEqual(NOT_FOUND);
    expect((await store.readSession(key))?.entries).toEqual(['{"role":"ROLE_USER","content":"theirs"}']);
  });

  it("hands its limits to the store, which drops the oldest past the count or the bytes", async () => {
    const { sessions, store, config } = sessionsOf({ maxMessages: 3, maxBytes: 120 });
    const append = vi.spyOn(store, "appendSession");
    await sessions.append("s1", "user:a", [user("a"), assistant("b"), user("c"), assistant("d")]);
    expect(append.mock.calls[0]?.[3]).toEqual({ ttlMs: config.ttlMs, maxEntries: 3, maxBytes: 120 });
    expect(contents(await sessions.history("s1", "user:a"))).toEqual(["b", "c", "d"]);
    await sessions.append("s1", "user:a", [user("x".repeat(60))]);
    expect(contents(await sessions.history("s1", "user:a"))).toEqual(["x".repeat(60)]);
  });

  it("keeps no system or developer message, and makes no session of them alone", async () => {
    const { sessions, store } = sessionsOf();
    const append = vi.spyOn(store, "appendSession");
    await sessions.append("s1", "user:a", [message(Role.SYSTEM, "be terse"), message(Role.DEVELOPER, "x")]);
    expect(append).not.toHaveBeenCalled();
    expect(await refused(sessions.get("s1", "user:a"))).toEqual(NOT_FOUND);
    await sessions.append("s1", "user:a", [message(Role.SYSTEM, "be terse"), user("hi"), assistant("yo")]);
    const kept = await sessions.history("s1", "user:a");
    expect(kept.map((m) => m.role)).toEqual([Role.USER, Role.ASSISTANT]);
  });

  it("answers Unavailable when the store cannot", async () => {
    const { store, state } = failingStore(new MemoryStore());
    const sessions = new Sessions(store, loadConfig({}).sessions);
    state.down = true;
    const unavailable = { code: Code.Unavailable, reason: Reason.storeUnavailable };
    expect(await refused(sessions.history("s1", "user:a"))).toEqual(unavailable);
    expect(await refused(sessions.append("s1", "user:a", [user("hi")]))).toEqual(unavailable);
  });
});
