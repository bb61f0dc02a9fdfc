import type { Execution } from "../../gen/vlmrun/agent/v1/executions_pb.js";
import { executionJson } from "../server/rest/contract/execution-json.js";
import type { ExecutionMethods } from "../service/agent-service.js";
import type { ChatDeps } from "../service/chat-run.js";
import type { ExecutionLeases, ExecutionStore } from "../store/execution-store.js";
import { MemoryExecutions } from "../store/memory-executions.js";
import { redisTarget } from "../store/redis-client.js";
import { RedisExecutions } from "../store/redis-executions.js";
import { SqliteExecutions } from "../store/sqlite-executions.js";
import { SqliteStore } from "../store/sqlite-store.js";
import { SqliteWebhooks } from "../store/sqlite-webhooks.js";
import type { Store } from "../store/store.js";
import type { Dispatcher } from "./dispatch.js";
import { DurableWebhooks } from "./durable-webhooks.js";
import { ExecutionRunner } from "./execution-runner.js";
import type { ExecutionSpec } from "./execution-spec.js";
import { executionMethods } from "./executions.js";
import { LocalDispatcher } from "./local-dispatcher.js";
import { InProcessWebhooks, type WebhookSender } from "./webhooks.js";

/** How often a watcher on the embedded store looks for events another process appended. */
const EMBEDDED_POLL_MS = 250;
/** On Redis a missed pub/sub notice costs at most this much latency. */
const REDIS_POLL_MS = 1_000;

export interface ExecutionEngine {
  methods: ExecutionMethods;
  /** Starts taking executions (and webhooks) to run. */
  start(): Promise<void>;
  /** Stops taking work; runs in progress are left to be resumed. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Durable executions on the configured store: on Redis its own hash + stream per execution, BullMQ
 * for runs and webhook retries (loaded only then); on the durable embedded store its tables in the
 * same file and the store's leases (webhook deliveries included); in memory, the same in this process.
 */
export function createExecutionEngine(chat: ChatDeps, store: Store): ExecutionEngine {
  const { config, metrics, logger } = chat;
  const limits = { maxEvents: config.executions.maxEvents };
  const redis = store.kind === "redis" || store.kind === "redis-cluster";
  let executions: ExecutionStore & Partial<ExecutionLeases>;
  if (redis) {
    executions = new RedisExecutions({
      ...limits,
      target: redisTarget(config.store),
      prefix: config.store.prefix,
      commandTimeoutMs: Math.max(config.store.commandTimeoutMs, 1_000),
      pollMs: REDIS_POLL_MS,
    });
  } else if (store instanceof SqliteStore) {
    executions = new SqliteExecutions(store.shared(), { ...limits, pollMs: EMBEDDED_POLL_MS });
  } else {
    executions = new MemoryExecutions(limits);
  }
  let webhooks: WebhookSender | undefined;
  const runner = new ExecutionRunner({
    chat,
    store: executions,
    config: config.executions,
    metrics,
    logger,
    onEnded: (execution: Execution, spec: ExecutionSpec) => {
      if (!spec.callbackUrl || !webhooks) return;
      const hook = {
        id: `msg_${execution.id}`,
        url: spec.callbackUrl,
        body: JSON.stringify(executionJson(execution)),
      };
      webhooks.send(hook).catch((error: unknown) => {
        logger.error({ webhook_id: hook.id, err: (error as Error).message }, "webhook could not be queued");
      });
    },
  });
  let dispatcher: Dispatcher | undefined;
  const lazyDispatcher: Dispatcher = {
    start: async () => {},
    submitted: async (id) => {
      if (!dispatcher) throw new Error("executions are not being taken yet");
      await dispatcher.submitted(id);
    },
    close: async () => {},
  };
  return {
    methods: executionMethods({ chat, store: executions, runner, dispatcher: lazyDispatcher }),
    async start() {
      if (dispatcher) return;
      if (executions instanceof RedisExecutions) {
        await executions.ready(5_000).catch(() => logger.warn("the executions' Redis is not reachable yet"));
        const [{ RedisDispatcher }, { RedisWebhooks }] = await Promise.all([
          import("./redis-dispatcher.js"),
          import("./redis-webhooks.js"),
        ]);
        dispatcher = new RedisDispatcher(config.store, runner, config.executions, logger);
        webhooks = new RedisWebhooks(config.store, config.executions, config.fetch, metrics, logger);
      } else {
        dispatcher = new LocalDispatcher(executions as ExecutionLeases, runner, config.executions, logger);
        if (store instanceof SqliteStore) {
          const durable = new DurableWebhooks(
            new SqliteWebhooks(store.shared()),
            config.executions,
            config.fetch,
            metrics,
            logger,
          );
          durable.start();
          webhooks = durable;
        } else {
          webhooks = new InProcessWebhooks(config.executions, config.fetch, metrics, logger);
        }
      }
      await dispatcher.start();
    },
    async close(timeoutMs) {
      await dispatcher?.close(timeoutMs);
      await webhooks?.close(timeoutMs);
      await executions.close();
    },
  };
}
