import { ConfigError, loadConfig, usesRedis } from "./config.js";
import { announceListening, isWorkerOrSingle, superviseWorkers } from "./runtime/cluster.js";
import { build } from "./server/app.js";
import { StoreOpenError } from "./store/store.js";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`orion-server: configuration error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

if (!isWorkerOrSingle(config.workers)) {
  // The same field order as the workers' pino lines: level, time, service, fields, msg.
  superviseWorkers(config.workers, ({ level, msg, ...fields }) =>
    process.stdout.write(
      `${JSON.stringify({ level, time: new Date().toISOString(), service: "orion-server", ...fields, msg })}\n`,
    ),
  );
} else {
  await serve(config);
}

async function serve(config: ReturnType<typeof loadConfig>) {
  let app: ReturnType<typeof build>;
  try {
    app = build(config);
  } catch (error) {
    if (!(error instanceof StoreOpenError)) throw error;
    process.stderr.write(`orion-server: store error: ${error.message}\n`);
    process.exit(2);
  }
  let url: string;
  try {
    url = await app.listen();
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    process.stderr.write(
      `orion-server: cannot listen on ${config.host}:${config.port} (HOST, PORT): ${code ?? message}\n`,
    );
    process.exit(2);
  }
  const where = {
    url,
    playground: config.webDir === undefined ? null : `${url}/`,
    docs: `${url}/docs`,
    openapi: `${url}/openapi.json`,
    backends: app.backends,
    store: usesRedis(config.store) ? "redis" : config.store.dataDir,
  };
  announceListening(where, () => app.logger.info(where, "listening"));

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      app.logger.info({ signal, timeout_ms: config.shutdownTimeoutMs }, "shutting down");
      app.shutdown().then(
        () => {
          app.logger.info("stopped");
          app.logger.flush(() => process.exit(0));
        },
        (error: unknown) => {
          app.logger.error({ err: error }, "shutdown failed");
          app.logger.flush(() => process.exit(1));
        },
      );
    });
  }
}
