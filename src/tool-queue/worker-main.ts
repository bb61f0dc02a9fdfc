import { Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { Artifacts } from "../artifacts/artifacts.js";
import type { Config } from "../config.js";
import { configureVideoBinaries, missingVideoBinaries } from "../media/ffmpeg.js";
import { createLogger } from "../observability/logger.js";
import { configureToolIdle } from "../runtime/worker-pool.js";
import { createStore } from "../store/create-store.js";
import { builtinTools } from "../tools/builtin.js";
import { toolsetName } from "./tool-jobs.js";
import { startToolWorker } from "./tool-worker.js";

/** `orion worker`: takes heavy tool jobs from the queues in Redis until SIGTERM / SIGINT. */
export async function runToolWorker(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel).child({ role: "tool-worker" });
  configureToolIdle(config.toolIdleMs);
  configureVideoBinaries(config.videoBinaries);
  const tools = builtinTools(config.fetch, config.search, config.pdfMaxPages);
  let toolsets = config.toolQueue.workerToolsets;
  const noVideo = await missingVideoBinaries();
  if (noVideo && toolsets.includes(Toolset.VIDEO)) {
    logger.warn({ reason: noVideo }, "not taking video tools on this machine");
    toolsets = toolsets.filter((t) => t !== Toolset.VIDEO);
  }
  const store = createStore(config.store);
  await store.ready(5_000).catch(() => logger.warn("the store is not reachable yet; waiting for it"));
  const worker = await startToolWorker({
    queue: config.toolQueue,
    store: config.store,
    tools,
    toolsets,
    artifacts: new Artifacts(store, {
      maxBytes: config.sessions.artifactMaxBytes,
      ttlMs: config.sessions.ttlMs,
    }),
    logger,
  });
  logger.info(
    {
      id: worker.id,
      toolsets: toolsets.map(toolsetName),
      concurrency: config.toolQueue.workerConcurrency,
      tools: tools
        .select(toolsets)
        .filter((t) => t.heavy)
        .map((t) => t.name),
    },
    "tool worker ready",
  );
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info({ signal, timeout_ms: config.shutdownTimeoutMs }, "tool worker stopping");
      worker
        .close(config.shutdownTimeoutMs)
        .then(() => store.close())
        .then(
          () => logger.flush(() => process.exit(0)),
          (error: unknown) => {
            logger.error({ err: error }, "tool worker stop failed");
            logger.flush(() => process.exit(1));
          },
        );
    });
  }
}
