// A heavy-marked tool that does nothing, so a bench can time the queue itself; run as a script it
// is an `orion worker` that serves only this tool (for bench/tool-queue.ts).
import { Toolset } from "../gen/vlmrun/agent/v1/enums_pb.js";
import { Artifacts } from "../src/artifacts/artifacts.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/observability/logger.js";
import { createStore } from "../src/store/create-store.js";
import { startToolWorker } from "../src/tool-queue/tool-worker.js";
import { ToolRegistry } from "../src/tools/registry.js";
import { defineTool } from "../src/tools/tool.js";

export const noop = defineTool({
  name: "noop",
  description: "Does nothing (bench)",
  toolset: Toolset.DOCUMENT,
  needs: ["none"],
  heavy: true,
  input: {},
  execute: async () => ({ summary: "done", artifacts: [] }),
});

if (process.argv[1]?.endsWith("noop-tool.ts")) {
  const config = loadConfig();
  const store = createStore(config.store);
  const worker = await startToolWorker({
    queue: config.toolQueue,
    store: config.store,
    tools: new ToolRegistry().register(noop),
    toolsets: [Toolset.DOCUMENT],
    artifacts: new Artifacts(store, { maxBytes: 1024, ttlMs: 60_000 }),
    logger: createLogger("warn"),
  });
  process.stdout.write(`ready ${worker.id}\n`);
  process.once("SIGTERM", () => void worker.close(1_000).then(() => process.exit(0)));
}
