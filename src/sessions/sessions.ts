import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import type { ChatMessage } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { type Session, SessionSchema } from "../../gen/vlmrun/agent/v1/service_pb.js";
import type { SessionConfig } from "../config.js";
import { guardStore, Reason, reasonError } from "../errors.js";
import { rememberedSha256 } from "../runtime/remembered-hash.js";
import type { Store } from "../store/store.js";
import { messageFromJsonText, messageToJsonText } from "../wire/codecs/message-json.js";

function notFound(id: string) {
  // The same answer whether the session never existed or belongs to someone else.
  return reasonError(Code.NotFound, Reason.notFound, `session "${id}" not found`);
}

const guard = <T>(op: () => Promise<T>) => guardStore("session store", op);

/** Which messages a session keeps: the conversation a user sees (system prompts apply per request). */
export function keptInSession(message: ChatMessage): boolean {
  return message.role !== Role.SYSTEM && message.role !== Role.DEVELOPER;
}

/**
 * Where a session lives in the store: its id within its owner's namespace, so the same session_id
 * from two callers names two conversations, and nobody can squat or probe another caller's id.
 */
const ownerHash = rememberedSha256("base64url");

function storeId(owner: string, id: string): string {
  return `${ownerHash(owner).slice(0, 22)}:${id}`;
}

/** Conversations by session_id, owned by the caller that created them. */
export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly config: SessionConfig,
  ) {}

  /** The stored history of a session the owner may continue; empty for a new session id. */
  async history(id: string, owner: string): Promise<ChatMessage[]> {
    const stored = await guard(() => this.store.readSession(storeId(owner, id)));
    if (!stored) return [];
    if (stored.owner !== owner) throw notFound(id);
    return stored.entries.map(messageFromJsonText);
  }

  async append(id: string, owner: string, messages: ChatMessage[]): Promise<void> {
    const entries = messages.filter(keptInSession).map(messageToJsonText);
    if (entries.length === 0) return;
    const result = await guard(() =>
      this.store.appendSession(storeId(owner, id), owner, entries, {
        ttlMs: this.config.ttlMs,
        maxEntries: this.config.maxMessages,
        maxBytes: this.config.maxBytes,
      }),
    );
    if (result === "forbidden") throw notFound(id);
  }

  async get(id: string, owner: string): Promise<Session> {
    const stored = await guard(() => this.store.readSession(storeId(owner, id)));
    if (!stored || stored.owner !== owner) throw notFound(id);
    return create(SessionSchema, {
      sessionId: id,
      messages: stored.entries.map(messageFromJsonText),
      createdAt: timestampFromMs(stored.createdAt),
      updatedAt: timestampFromMs(stored.updatedAt),
    });
  }

  async delete(id: string, owner: string): Promise<void> {
    const key = storeId(owner, id);
    const stored = await guard(() => this.store.readSession(key));
    if (!stored || stored.owner !== owner) throw notFound(id);
    await guard(() => this.store.deleteSession(key));
  }
}
