import { fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { type ChatCompletion, ChatCompletionSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { guardStore, Reason, reasonError } from "../errors.js";
import type { Store } from "../store/store.js";

const DAY_MS = 86_400_000;
const PENDING = "pending";
/** How long a reservation may stay pending before a retry may run the request again. */
const PENDING_MS = 15 * 60_000;

/**
 * Client completion ids: a retry with the same `id` by the same caller within 24 h returns the
 * stored completion and is not charged again. A concurrent duplicate gets 409 while the first runs.
 */
export class Idempotency {
  constructor(private readonly store: Store) {}

  private key(owner: string, id: string) {
    return `idem:${owner}:${id}`;
  }

  /** The stored completion, or undefined after reserving the id for this request. */
  async claim(owner: string, id: string): Promise<ChatCompletion | undefined> {
    const key = this.key(owner, id);
    if (await guardStore("store", () => this.store.putIfAbsent(key, PENDING, PENDING_MS))) return undefined;
    const stored = await guardStore("store", () => this.store.get(key));
    if (stored === undefined) return this.claim(owner, id); // expired between the two calls
    if (stored === PENDING) {
      throw reasonError(Code.Aborted, Reason.inProgress, `a request with id "${id}" is already in progress`);
    }
    return fromJsonString(ChatCompletionSchema, stored);
  }

  async complete(owner: string, id: string, completion: ChatCompletion): Promise<void> {
    await this.store
      .put(this.key(owner, id), toJsonString(ChatCompletionSchema, completion), DAY_MS)
      .catch(() => {});
  }

  /** Frees the id after a failure, so a retry runs again. */
  async release(owner: string, id: string): Promise<void> {
    await this.store.remove(this.key(owner, id)).catch(() => {});
  }
}
