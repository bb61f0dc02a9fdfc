import { createHash } from "node:crypto";
import type { JsonObject } from "@bufbuild/protobuf";
import type { SchemaValidatorOptions } from "../config.js";
import { workerPool } from "../runtime/worker-pool.js";
import { measureSchema } from "./schema-limits.js";
import type * as ValidatorWorker from "./validator-worker.js";

/** Why a schema cannot be used; the message names the cap or the construct. */
export class UnusableSchema extends Error {}

/** A check that ran out of time or memory (the schema makes checking this answer too expensive). */
export class CheckTooExpensive extends Error {}

/** Heap a compile or check may use; past it the thread ends and the check fails, the server does not. */
const WORKER_HEAP_MB = 256;

export interface Verdict {
  ok: boolean;
  /** Readable problems, one per line, when not ok. */
  problems: string[];
}

interface Prepared {
  key: string;
  text: string;
}

const pool = workerPool<typeof ValidatorWorker>(import.meta.url, "validator-worker", {
  maxThreads: 1,
  resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 32 },
  // Compiled validators and a hostile answer's garbage are given back when checks stop coming.
  idleTimeoutMs: 60_000,
});

/**
 * Callers' JSON Schemas (response_format): capped before they compile, compiled and checked on a
 * worker thread with a deadline, so no schema or answer can stall the event loop.
 */
export class SchemaValidator {
  /** The worker thread's start-up, which no deadline should count. */
  private started: Promise<unknown> | undefined;
  /** A request's schema is prepared, then checked: measured and hashed once. */
  private readonly measured = new WeakMap<JsonObject, Prepared>();

  constructor(private readonly options: SchemaValidatorOptions) {}

  /** Throws UnusableSchema when the schema passes a cap, is not JSON Schema, or cannot be checked. */
  async prepare(schema: JsonObject, signal?: AbortSignal): Promise<void> {
    const prepared = this.measure(schema);
    const result = await this.run("compile", { ...prepared, cacheBytes: this.options.cacheBytes }, signal);
    if (!result.ok) throw new UnusableSchema(`not a usable JSON Schema: ${result.problem}`);
  }

  async check(schema: JsonObject, answer: string | undefined, signal?: AbortSignal): Promise<Verdict> {
    const prepared = this.measure(schema);
    const result = await this.run(
      "check",
      { ...prepared, cacheBytes: this.options.cacheBytes, answer: answer ?? "" },
      signal,
    );
    return result.ok ? { ok: true, problems: [] } : { ok: false, problems: result.problems };
  }

  private measure(schema: JsonObject): Prepared {
    const known = this.measured.get(schema);
    if (known) return known;
    const measured = measureSchema(schema, this.options.limits);
    if ("problem" in measured) throw new UnusableSchema(`the schema is too large: ${measured.problem}`);
    const prepared = {
      key: createHash("sha256").update(measured.text).digest("base64url"),
      text: measured.text,
    };
    this.measured.set(schema, prepared);
    return prepared;
  }

  private async run<K extends "compile" | "check">(
    name: K,
    args: Parameters<(typeof ValidatorWorker)[K]>[0],
    signal: AbortSignal | undefined,
  ) {
    this.started ??= pool.run("ready", undefined as never);
    await this.started;
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    try {
      return await pool.run(name, args as never, signal ? AbortSignal.any([signal, deadline]) : deadline);
    } catch (error) {
      const what = name === "compile" ? "compiling the schema" : "checking the answer against the schema";
      if (deadline.aborted && !signal?.aborted) {
        throw new CheckTooExpensive(`${what} took longer than ${this.options.timeoutMs} ms`);
      }
      if ((error as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY") {
        throw new CheckTooExpensive(`${what} needed more than ${WORKER_HEAP_MB} MB`);
      }
      throw error;
    }
  }

  static close(): Promise<void> {
    return pool.destroy();
  }
}
