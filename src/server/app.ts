import type { AddressInfo } from "node:net";
import { Code, createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { Artifacts } from "../artifacts/artifacts.js";
import { BackendRegistry } from "../backends/registry.js";
import type { Config } from "../config.js";
import { Reason, reasonError } from "../errors.js";
import { ApiKeys } from "../identity/api-keys.js";
import { guestSecretSource } from "../identity/guest-secret.js";
import { JwtVerifier } from "../identity/jwt.js";
import { CallerResolver } from "../identity/resolve-caller.js";
import { createLogger, type Logger } from "../observability/logger.js";
import { createMetrics, type Metrics } from "../observability/metrics.js";
import { Quota } from "../quota/quota.js";
import { SchemaValidator } from "../schema/validator.js";
import { createAgentService } from "../service/agent-service.js";
import { kRequestId, requestIdFrom } from "../service/context.js";
import { Idempotency } from "../service/idempotency.js";
import { Sessions } from "../sessions/sessions.js";
import { SkillLibrary } from "../skills/skill-library.js";
import { createStore } from "../store/create-store.js";
import type { Store } from "../store/store.js";
import { builtinTools } from "../tools/builtin.js";
import { providerTools, unconfiguredProviderTools } from "../tools/providers/catalog.js";
import type { ToolRegistry } from "../tools/registry.js";
import { createCors } from "./cors.js";
import { healthRoutes, type ReadinessCheck } from "./health-routes.js";
import { sendHttpError } from "./http/respond.js";
import { headerOf, type NodeRequest, type NodeResponse, pathOf, writable } from "./http/types.js";
import { identifyRest, identifyRpc, kPeer } from "./identify.js";
import { Lifecycle } from "./lifecycle.js";
import { createOnePortServer } from "./listener.js";
import { malformedBinaryIsInvalidArgument } from "./malformed-message.js";
import { observeHttp, observeRpc, restRequestId } from "./observe.js";
import { loadAssets } from "./playground/assets.js";
import { playgroundRoutes } from "./playground/playground-route.js";
import { deleteSessionRoute, getSessionRoute, quotaRoute } from "./rest/account-routes.js";
import { artifactListRoute, artifactRoute } from "./rest/artifact-routes.js";
import { chatCompletionsRoute } from "./rest/chat-route.js";
import { httpErrorOf, simpleHttpError } from "./rest/errors.js";
import { modelRoute, modelsRoute } from "./rest/models-route.js";
import { skillsRoute } from "./rest/skills-route.js";
import { toolsRoute } from "./rest/tools-route.js";
import { Router } from "./router.js";

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
  readonly store: Store;
  readonly apiKeys: ApiKeys;
  /** Listens on config.host:config.port (port 0 picks a free one); resolves to the base URL. */
  listen(): Promise<string>;
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
  const metrics = createMetrics();
  const lifecycle = new Lifecycle();
  const backends = new BackendRegistry(config, (backend, outcome, seconds) =>
    metrics.upstreamSeconds.observe({ backend, outcome }, seconds),
  );
  const store = options.store ?? createStore(config.store);
  const apiKeys = new ApiKeys(store, config.identity.apiKeys);
  const resolver = new CallerResolver(
    apiKeys,
    new JwtVerifier(config.identity),
    config.identity.trustProxy,
    guestSecretSource(store, config.identity.guestSecret),
  );
  const service = createAgentService({
    config,
    backends,
    quota: new Quota(store, config.quota, metrics, logger),
    sessions: new Sessions(store, config.sessions),
    idempotency: new Idempotency(store),
    formats: new SchemaValidator(config.schema),
    tools:
      options.tools ??
      builtinTools(config.fetch, config.search)
        .register(...providerTools(config.providers))
        .unavailable(...unconfiguredProviderTools(config.providers)),
    skills: new SkillLibrary(config.skillsDir, (path, error) =>
      logger.warn({ path, err: (error as Error).message }, "skipping a skill bundle that does not load"),
    ),
    artifacts: new Artifacts(store, {
      maxBytes: config.sessions.artifactMaxBytes,
      ttlMs: config.sessions.ttlMs,
    }),
    logger,
  });
  const health = healthRoutes(
    lifecycle,
    metrics,
    [storeCheck(store), ...(options.readinessChecks ?? [])],
    config.metricsToken,
  );
  const routeDeps = { service, lifecycle, requestIdOf: restRequestId };

  const router = new Router()
    .add("GET", "/healthz", "healthz", health.healthz)
    .add("GET", "/readyz", "readyz", health.readyz)
    .add("GET", "/metrics", "metrics", health.metrics)
    .add(
      "POST",
      "/v1/openai/chat/completions",
      "chat.completions",
      chatCompletionsRoute({ ...routeDeps, maxBodyBytes: config.maxBodyBytes, logger }),
    )
    .add("GET", "/v1/openai/models", "models.list", modelsRoute(routeDeps))
    .add("GET", "/v1/openai/models/{id}", "models.get", modelRoute(routeDeps))
    .add("GET", "/v1/quota", "quota.get", quotaRoute(routeDeps))
    .add("GET", "/v1/sessions/{session_id}", "sessions.get", getSessionRoute(routeDeps))
    .add("DELETE", "/v1/sessions/{session_id}", "sessions.delete", deleteSessionRoute(routeDeps))
    .add("GET", "/v1/artifacts", "artifacts.get", artifactRoute(routeDeps))
    .add("GET", "/v1/artifacts/list", "artifacts.list", artifactListRoute(routeDeps))
    .add("GET", "/v1/skills", "skills.list", skillsRoute(routeDeps))
    .add("GET", "/v1/tools", "tools.list", toolsRoute(routeDeps));
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

  const rest = async (req: NodeRequest, res: NodeResponse) => {
    const path = pathOf(req);
    const match = router.match(req.method ?? "GET", path);
    const route = match && "handler" in match ? match.name : "unmatched";
    observeHttp(req, res, route, metrics, logger, HEALTH_PATHS.has(path) ? "http" : "rest");
    if (!match) {
      sendHttpError(res, simpleHttpError(404, "not_found", `no route for ${req.method} ${path}`));
      return;
    }
    if (!("handler" in match)) {
      writable(res).setHeader("allow", match.allowed.join(", "));
      sendHttpError(
        res,
        simpleHttpError(405, "method_not_allowed", `${req.method} is not allowed on ${path}`),
      );
      return;
    }
    try {
      if (path.startsWith("/v1/")) {
        try {
          await identifyRest(resolver, req);
        } catch (error) {
          sendHttpError(res, httpErrorOf(error));
          return;
        }
      }
      await match.handler(req, res, match.params);
    } catch (error) {
      logger.error({ req_id: restRequestId(req), err: error }, "unhandled error in route");
      if (!res.headersSent)
        sendHttpError(res, simpleHttpError(500, "internal_error", "internal server error"));
      else writable(res).destroy();
    }
  };

  const rpc = connectNodeAdapter({
    routes: (r) => {
      r.service(AgentService, service);
      malformedBinaryIsInvalidArgument(r);
    },
    readMaxBytes: config.maxBodyBytes,
    shutdownSignal: lifecycle.cutoff,
    interceptors: [observeRpc(metrics, logger), identifyRpc(resolver)],
    contextValues: (req) =>
      createContextValues()
        .set(kRequestId, requestIdFrom(headerOf(req, "x-request-id")))
        .set(kPeer, req.socket.remoteAddress),
    fallback: (req, res) => {
      void rest(req, res);
    },
  });

  const cors = createCors(config.corsOrigins);
  const server = createOnePortServer(
    (req, res) => {
      const end = lifecycle.begin();
      res.once("close", end);
      if (cors(req, res)) return;
      if (lifecycle.draining && !HEALTH_PATHS.has(pathOf(req))) {
        if (req.httpVersionMajor === 1) writable(res).setHeader("connection", "close");
        sendHttpError(res, simpleHttpError(503, "shutting_down", "the server is shutting down"));
        return;
      }
      rpc(req, res);
    },
    { limits: config.connections, onRefused: () => metrics.connectionsRefused.inc() },
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
    openConnections() {
      return new Promise((resolve, reject) =>
        server.net.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
    },
    shutdown(timeoutMs = config.shutdownTimeoutMs) {
      shuttingDown ??= (async () => {
        // Keep listening while draining: /readyz answers 503 and new requests get a clear 503.
        lifecycle.draining = true;
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
        backends.close();
        if (!options.store) await store.close();
      })();
      return shuttingDown;
    },
  };
}
