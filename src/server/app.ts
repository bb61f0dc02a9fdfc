import type { AddressInfo } from "node:net";
import { Code, createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import type { ToolObserver } from "../agent/tool-runner.js";
import { Artifacts } from "../artifacts/artifacts.js";
import { BackendRegistry } from "../backends/registry.js";
import { type Config, VARIANTS, type Variant } from "../config.js";
import { Reason, reasonError } from "../errors.js";
import { createExecutionEngine } from "../executions/engine.js";
import { FileService } from "../files/file-service.js";
import { UploadUrls } from "../files/upload-urls.js";
import { ApiKeys } from "../identity/api-keys.js";
import { guestSecretSource } from "../identity/guest-secret.js";
import { JwtVerifier } from "../identity/jwt.js";
import { CallerResolver } from "../identity/resolve-caller.js";
import { OutsideMcpServers } from "../mcp/client/outside-servers.js";
import { Cancellations } from "../mcp/server/cancellations.js";
import { type FileIdResolver, filesApiResolver } from "../mcp/server/file-refs.js";
import { ToolListWatch } from "../mcp/server/list-changed.js";
import { mcpRoute } from "../mcp/server/mcp-route.js";
import { availableTools } from "../mcp/server/mcp-server.js";
import { configureVideoBinaries, missingVideoBinaries } from "../media/ffmpeg.js";
import { observeDurableStore } from "../observability/durable-store.js";
import { createLogger, type Logger } from "../observability/logger.js";
import { createMetrics, type Metrics, observeEmbeddedStore } from "../observability/metrics.js";
import { Quota } from "../quota/quota.js";
import { collectWhenIdle } from "../runtime/idle-memory.js";
import { packageVersion } from "../runtime/package-root.js";
import { configureToolIdle } from "../runtime/worker-pool.js";
import { SchemaValidator } from "../schema/validator.js";
import { createAgentService } from "../service/agent-service.js";
import { BackgroundWrites } from "../service/background-writes.js";
import { callerCaps } from "../service/caller-caps.js";
import type { ChatDeps } from "../service/chat-run.js";
import { kLogFields, kRequestId, requestIdFrom } from "../service/context.js";
import { Idempotency } from "../service/idempotency.js";
import { Sessions } from "../sessions/sessions.js";
import { SkillLibrary } from "../skills/skill-library.js";
import { createStore } from "../store/create-store.js";
import { MemoryStore } from "../store/memory-store.js";
import { SqliteStore } from "../store/sqlite-store.js";
import type { Store } from "../store/store.js";
import type { ToolQueue } from "../tool-queue/tool-queue.js";
import { builtinTools } from "../tools/builtin.js";
import { providerTools, unconfiguredProviderTools } from "../tools/providers/catalog.js";
import type { ToolRegistry } from "../tools/registry.js";
import { wireNames } from "../wire/names.js";
import { docsRoutes } from "./docs/docs-routes.js";
import { healthService } from "./grpc/health.js";
import { reflectionServices } from "./grpc/reflection.js";
import { healthRoutes, type ReadinessCheck, readiness } from "./health-routes.js";
import { compose } from "./http/compose.js";
import { createExchange, exchangeOf } from "./http/exchange.js";
import { headerOf, type NodeHandler } from "./http/types.js";
import { Lifecycle } from "./lifecycle.js";
import { createOnePortServer } from "./listener.js";
import { cors } from "./pipeline/cors.js";
import { refuseWhileDraining } from "./pipeline/drain.js";
import { identifyRest } from "./pipeline/identify-rest.js";
import { observeHttp } from "./pipeline/observe-http.js";
import { route } from "./pipeline/route.js";
import { rpcPaths, serveRpc } from "./pipeline/rpc.js";
import { echoRequestId, track } from "./pipeline/track.js";
import { loadAssets } from "./playground/assets.js";
import { playgroundRoutes } from "./playground/playground-route.js";
import { bindingRoutes } from "./rest/bindings/binding-routes.js";
import { modelRoute } from "./rest/bindings/models-route.js";
import { toolsRoute } from "./rest/bindings/tools-route.js";
import { chatCompletionsRoute } from "./rest/chat/chat-route.js";
import { executionEventsRoute } from "./rest/executions/events-route.js";
import { executeRoute } from "./rest/executions/execute-route.js";
import { filesRoutes } from "./rest/files/files-routes.js";
import { Router } from "./router.js";
import { identifyRpc, kPeer } from "./rpc/identify-rpc.js";
import { malformedBinaryIsInvalidArgument } from "./rpc/malformed-message.js";
import { observeRpc } from "./rpc/observe-rpc.js";

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
  readonly store: Store;
  readonly apiKeys: ApiKeys;
  /** Listens on config.host:config.port (port 0 picks a free one); resolves to the base URL. */
  listen(): Promise<string>;
  /** Which backend serves each model variant ("local planner", "openai-compatible:gpt-4o", …). */
  readonly backends: Record<Variant, string>;
  /** The HTTP routes served besides the RPCs: method, path template, route name. */
  routes(): { method: string; path: string; name: string }[];
  /** Connections open on the listening port right now. */
  openConnections(): Promise<number>;
  /** Graceful: stop accepting, drain in-flight work up to the deadline, then cut and close. */
  shutdown(timeoutMs?: number): Promise<void>;
}

export interface BuildOptions {
  logger?: Logger;
  /** Defaults to the store the configuration names (Redis, or the embedded one). */
  store?: Store;
  /** Defaults to the built-in tools. */
  tools?: ToolRegistry;
  readinessChecks?: ReadinessCheck[];
  /** The Files API's lookup of a caller's file ids, for MCP file arguments (the Files issue wires it). */
  fileIds?: FileIdResolver;
}

/** Readiness asks the store with its own bound, so a hung store cannot hang /readyz. */
function storeCheck(store: Store): ReadinessCheck {
  return {
    name: "store",
    check: () =>
      Promise.race([
        store.ping().then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500).unref()),
      ]),
  };
}

const HEALTH_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

/** Wires config → service → surfaces → one listening port. */
export function build(config: Config, options: BuildOptions = {}): App {
  const logger = options.logger ?? createLogger(config.logLevel);
  configureToolIdle(config.toolIdleMs);
  configureVideoBinaries(config.videoBinaries);
  const metrics = createMetrics();
  const lifecycle = new Lifecycle();
  const stopIdleCollection = collectWhenIdle(() => lifecycle.begunCount);
  const backends = new BackendRegistry(config, (backend, outcome, seconds) =>
    metrics.upstreamSeconds.observe({ backend, outcome }, seconds),
  );
  const store = options.store ?? createStore(config.store);
  if (store instanceof MemoryStore) observeEmbeddedStore(metrics, () => store.usage());
  if (store instanceof SqliteStore) observeDurableStore(store, metrics, logger);
  const apiKeys = new ApiKeys(store, config.identity.apiKeys);
  const resolver = new CallerResolver(
    apiKeys,
    new JwtVerifier(config.identity),
    config.identity.trustProxy,
    guestSecretSource(store, config.identity.guestSecret),
  );
  const tools =
    options.tools ??
    builtinTools(config.fetch, config.search, config.pdfMaxPages)
      .register(...providerTools(config.providers))
      .unavailable(...unconfiguredProviderTools(config.providers));
  // ORION_TOOL_QUEUE=redis: heavy tools run as jobs on `orion worker` processes (BullMQ is loaded
  // only then: its import alone costs ~200 ms of start-up).
  let toolQueue: ToolQueue | undefined;
  const queued = config.toolQueue.mode === "redis";
  // Video tools run in this process only where ffmpeg runs (probed once, before the port opens).
  const binaries = queued
    ? Promise.resolve()
    : missingVideoBinaries().then((reason) => {
        if (reason) tools.withdraw((t) => t.toolset === Toolset.VIDEO && t.provider === undefined, reason);
      });
  // ORION_MCP_SERVERS: outside servers' tools join the registry under "mcp:<name>" (src/mcp/client/).
  const outside =
    config.mcpServers.length > 0
      ? new OutsideMcpServers(config.mcpServers, config.fetch, tools, logger)
      : undefined;
  const background = new BackgroundWrites(store.kind === "sqlite");
  const files = new FileService(store.files(), config.files, (path, outcome, bytes) => {
    metrics.fileUploads.inc({ path, outcome });
    metrics.fileUploadBytes.inc({ path }, bytes);
  });
  const caps = callerCaps(config);
  const quota = new Quota(store, config.quota, metrics, logger);
  const artifacts = new Artifacts(store, {
    maxBytes: config.sessions.artifactMaxBytes,
    ttlMs: config.sessions.ttlMs,
  });
  const observeTool: ToolObserver = (tool, name, outcome, seconds) => {
    const labels = {
      tool: tool ? name : "unknown",
      provider: tool?.provider === undefined ? "" : (wireNames.model.toWire(tool.provider) ?? ""),
      outcome,
    };
    metrics.toolCalls.inc(labels);
    metrics.toolSeconds.observe(labels, seconds);
  };
  const chatDeps: ChatDeps = {
    config,
    caps,
    backends,
    background,
    quota,
    sessions: new Sessions(store, config.sessions),
    idempotency: new Idempotency(store),
    formats: new SchemaValidator(config.schema),
    tools,
    skills: new SkillLibrary(config.skillsDir, (path, error) =>
      logger.warn({ path, err: (error as Error).message }, "skipping a skill bundle that does not load"),
    ),
    files,
    artifacts,
    logger,
    metrics,
    observeTool,
  };
  // Durable executions run the same chat in the background (src/executions/).
  const executions = createExecutionEngine(chatDeps, store);
  const service = createAgentService(chatDeps, executions.methods);
  const checks = [storeCheck(store), ...(options.readinessChecks ?? [])];
  const health = healthRoutes(lifecycle, metrics, checks, config.metricsToken, () =>
    toolQueue ? { tool_workers: toolQueue.workerCounts() } : {},
  );
  const routeDeps = { service, lifecycle };

  const router = new Router()
    .add("GET", "/healthz", "healthz", health.healthz)
    .add("GET", "/readyz", "readyz", health.readyz)
    .add("GET", "/metrics", "metrics", health.metrics);
  // The proto's google.api.http bindings, then the REST-only routes.
  const chat = chatCompletionsRoute({
    ...routeDeps,
    caps,
    logger,
    streamStallTimeoutMs: config.streams.stallTimeoutMs,
    onStall: () => metrics.streamsStalled.inc(),
  });
  const handwritten = {
    createChatCompletion: chat,
    executeAgent: executeRoute({ ...routeDeps, caps }),
    watchExecution: executionEventsRoute({
      ...routeDeps,
      streamStallTimeoutMs: config.streams.stallTimeoutMs,
    }),
  };
  for (const route of bindingRoutes(routeDeps, handwritten)) {
    router.add(route.verb, route.path, route.name, route.handler);
  }
  router
    .add("GET", "/v1/openai/models/{id}", "models.get", modelRoute(routeDeps))
    .add("GET", "/v1/models/{id}", "models.get", modelRoute(routeDeps))
    .add("GET", "/v1/tools", "tools.list", toolsRoute(routeDeps));
  // MCP (Streamable HTTP, stateless) on the same port: src/mcp/server/.
  const mcp = mcpRoute({
    config,
    tools,
    artifacts,
    quota,
    service,
    logger,
    observeTool,
    caps,
    lifecycle,
    trustProxy: config.identity.trustProxy,
    cancellations: new Cancellations(),
    watch: new ToolListWatch(
      () => availableTools(tools).map((t) => t.name),
      1_000,
      1_000,
      () => lifecycle.draining,
    ),
    fileIds: options.fileIds ?? filesApiResolver(files, config.sessions.artifactMaxBytes),
  });
  router.add("POST", "/mcp", "mcp", mcp).add("GET", "/mcp", "mcp", mcp).add("DELETE", "/mcp", "mcp", mcp);
  const uploads = new UploadUrls(store, config.identity.guestSecret);
  for (const r of filesRoutes({
    files,
    uploads,
    trustProxy: config.identity.trustProxy,
    logger,
    stallTimeoutMs: config.streams.stallTimeoutMs,
  })) {
    router.add(r.method, r.path, r.name, r.handler);
  }
  const docs = docsRoutes(packageVersion);
  router
    .add("GET", "/openapi.json", "openapi", docs.openapi)
    .add("GET", "/docs", "docs", docs.docs)
    .add("GET", "/docs/{file}", "docs.asset", docs.file);
  if (config.webDir !== undefined) {
    const playground = playgroundRoutes(loadAssets(config.webDir), {
      maxBodyBytes: config.maxBodyBytes,
      media: config.media,
    });
    router
      .add("GET", "/", "playground", playground.home)
      .add("GET", "/assets/{file}", "playground.asset", playground.file)
      .add("GET", "/favicon.svg", "playground.asset", playground.file);
  }

  const services = [AgentService, Health, ServerReflectionV1, ServerReflectionV1Alpha];
  const reflection = reflectionServices(services);
  const ready = readiness(lifecycle, checks);
  // Guests' bodies are capped below signed-in callers'; Connect reads a body before any interceptor
  // runs, so the adapter is chosen by whether the request carries credentials at all.
  const rpcAdapter = (readMaxBytes: number) =>
    connectNodeAdapter({
      routes: (r) => {
        r.service(AgentService, service);
        r.service(
          Health,
          healthService([AgentService.typeName], async () => (await ready()).ready),
        );
        r.service(ServerReflectionV1, reflection.v1);
        r.service(ServerReflectionV1Alpha, reflection.v1alpha);
        malformedBinaryIsInvalidArgument(r);
      },
      readMaxBytes,
      shutdownSignal: lifecycle.cutoff,
      interceptors: [observeRpc(metrics, logger), identifyRpc(resolver, [AgentService])],
      contextValues: (req) =>
        createContextValues()
          .set(kRequestId, exchangeOf(req)?.requestId ?? requestIdFrom(headerOf(req, "x-request-id")))
          .set(kLogFields, {})
          .set(kPeer, req.socket.remoteAddress),
    });
  const signedInRpc = rpcAdapter(caps.signedIn.body.maxBytes);
  const guestRpc = rpcAdapter(caps.guest.body.maxBytes);
  const adapter: NodeHandler = (req, res) => (req.headers.authorization ? signedInRpc : guestRpc)(req, res);

  // Every request, in this order: one concern per step (src/server/pipeline/).
  const pipeline = compose([
    track(lifecycle),
    echoRequestId,
    observeHttp(metrics, logger),
    cors(config.corsOrigins),
    refuseWhileDraining(lifecycle, new Set([...HEALTH_PATHS, ...rpcPaths([Health])])),
    serveRpc(rpcPaths(services), adapter),
    identifyRest(resolver),
    route(router, logger),
  ]);
  const server = createOnePortServer(
    (req, res) => {
      const x = createExchange(req, res);
      x.surface = HEALTH_PATHS.has(x.path) ? "http" : "rest";
      void pipeline(x);
    },
    {
      limits: config.connections,
      onRefused: () => metrics.connectionsRefused.inc(),
      onClosed: (reason) => metrics.connectionsClosed.inc({ reason }),
      onOpenChange: (delta) => metrics.connectionsOpen.inc(delta),
    },
  );

  let shuttingDown: Promise<void> | undefined;
  return {
    config,
    logger,
    metrics,
    lifecycle,
    store,
    apiKeys,
    async listen() {
      // Serve once the shared store is connected (or after a bounded wait: readiness then says why).
      await store.ready(5_000).catch(() => logger.warn("the store is not reachable yet; serving anyway"));
      await binaries;
      // Listed before the port opens, within a bound: a slow server's tools join when they arrive.
      await Promise.race([outside?.start(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      if (queued && !toolQueue) {
        const { ToolQueue } = await import("../tool-queue/tool-queue.js");
        toolQueue = new ToolQueue(config.toolQueue, config.store, metrics, logger);
        toolQueue.offload(tools);
        await toolQueue.start(5_000);
      }
      await executions.start();
      return new Promise<string>((resolve, reject) => {
        server.net.once("error", reject);
        server.net.listen(config.port, config.host, () => {
          server.net.off("error", reject);
          const { port } = server.net.address() as AddressInfo;
          const host = config.host.includes(":") ? `[${config.host}]` : config.host;
          resolve(`http://${host}:${port}`);
        });
      });
    },
    backends: Object.fromEntries(VARIANTS.map((v) => [v, backends.for(v).description])) as Record<
      Variant,
      string
    >,
    routes: () => router.list(),
    openConnections() {
      return new Promise((resolve, reject) =>
        server.net.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
    },
    shutdown(timeoutMs = config.shutdownTimeoutMs) {
      shuttingDown ??= (async () => {
        // Keep listening while draining: /readyz answers 503 and new requests get a clear 503.
        lifecycle.draining = true;
        stopIdleCollection();
        server.windDown();
        const idle = await lifecycle.waitIdle(timeoutMs);
        if (!idle) {
          logger.warn(
            { inflight: lifecycle.inflightCount },
            "drain deadline passed; ending in-flight requests",
          );
          lifecycle.cut(reasonError(Code.Unavailable, Reason.shuttingDown, "the server is shutting down"));
          await lifecycle.waitIdle(1_000);
        }
        await server.closeAll();
        // Runs still going are left running in the store: another process, or the restart, resumes them.
        await executions.close(Math.min(timeoutMs, 5_000));
        // Session appends sent after their answers: finished before the store closes.
        await background.drain(5_000);
        backends.close();
        await toolQueue?.close();
        await outside?.close();
        if (!options.store) await store.close();
      })();
      return shuttingDown;
    },
  };
}
