import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { healthService } from "../../src/server/grpc/health.js";
import { startServer, type TestServer } from "../support/server.js";

const run = promisify(execFile);
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** `buf curl` with no schema at all: everything it knows comes from the server's reflection. */
async function bufCurl(args: string[]) {
  const { stdout } = await run("node_modules/.bin/buf", ["curl", ...args], { timeout: 20_000 });
  return stdout;
}

type HealthClient = grpc.Client & {
  Check(req: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
  Watch(req: { service: string }): grpc.ClientReadableStream<{ status: string }>;
};

/** A grpc-js health client from the standard health.proto, the way Kubernetes-style probes call it. */
function healthClient(url: string): HealthClient {
  const definition = protoLoader.loadSync("grpc/health/v1/health.proto", {
    includeDirs: ["third_party"],
    enums: String,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  return new loaded.grpc.health.v1.Health(
    new URL(url).host,
    grpc.credentials.createInsecure(),
  ) as unknown as HealthClient;
}

const check = (client: HealthClient, service: string) =>
  new Promise<{ status: string }>((resolve, reject) =>
    client.Check({ service }, (error, reply) => (error ? reject(error) : resolve(reply))),
  );

describe("gRPC server reflection", () => {
  it("lets buf curl list every method without the repo's protos (reflection v1)", async () => {
    const out = await bufCurl([
      "--list-methods",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      server.url,
    ]);
    const methods = out.trim().split("\n");
    expect(methods).toContain("vlmrun.agent.v1.AgentService/CreateChatCompletion");
    expect(methods).toContain("vlmrun.agent.v1.AgentService/StreamChatCompletion");
    expect(methods).toContain("grpc.health.v1.Health/Check");
  });

  it("serves v1alpha too, and calls a method with only the reflected schema", async () => {
    const out = await bufCurl([
      "--reflect-protocol",
      "grpc-v1alpha",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "-d",
      JSON.stringify({ model: "AGENT_MODEL_ORION_1_AUTO", messages: [{ role: "ROLE_USER", content: "hi" }] }),
      `${server.url}/vlmrun.agent.v1.AgentService/CreateChatCompletion`,
    ]);
    expect(JSON.parse(out).choices[0].message.content).toBe("Hello from the fake upstream.");
  });
});

describe("gRPC health checking", () => {
  it("answers Check for the server and the agent service, NOT_FOUND for others", async () => {
    const client = healthClient(server.url);
    try {
      expect(await check(client, "")).toEqual({ status: "SERVING" });
      expect(await check(client, "vlmrun.agent.v1.AgentService")).toEqual({ status: "SERVING" });
      await expect(check(client, "no.such.Service")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    } finally {
      client.close();
    }
  });

  it("Watch reports SERVING, then NOT_SERVING when the server starts draining", async () => {
    const own = await startServer();
    const client = healthClient(own.url);
    try {
      const stream = client.Watch({ service: "" });
      stream.on("error", () => undefined); // our own cancel() below ends it with CANCELLED
      const seen: string[] = [];
      const done = new Promise<void>((resolve) => {
        stream.on("data", (reply: { status: string }) => {
          seen.push(reply.status);
          if (seen.length === 1) own.app.lifecycle.draining = true;
          if (seen.length === 2) resolve();
        });
      });
      await done;
      stream.cancel();
      expect(seen).toEqual(["SERVING", "NOT_SERVING"]);
    } finally {
      client.close();
      await own.close();
    }
  });
});

describe("health checks cost the store one readiness check per second, whoever asks", () => {
  it("shares one reading among concurrent Checks and Watches", async () => {
    let readings = 0;
    const health = healthService(["vlmrun.agent.v1.AgentService"], async () => {
      readings++;
      return true;
    });
    const ctx = { signal: AbortSignal.timeout(50) } as Parameters<typeof health.watch>[1];
    const checks = Array.from({ length: 50 }, () => health.check({ service: "" } as never, ctx));
    const watches = Array.from({ length: 50 }, async () => {
      for await (const reply of health.watch({ service: "" } as never, ctx)) return reply.status;
      return undefined;
    });
    const results = await Promise.all([...checks.map(async (c) => (await c).status), ...watches]);
    expect(results.every((status) => status === HealthCheckResponse_ServingStatus.SERVING)).toBe(true);
    expect(readings).toBe(1);
  });
});
