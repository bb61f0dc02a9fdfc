import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../support/server.js";

const run = promisify(execFile);
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** `buf curl` (the buf CLI from npm) with our proto workspace as its schema: no reflection needed. */
async function bufCurl(args: string[], method: string, body: unknown) {
  const { stdout } = await run(
    "node_modules/.bin/buf",
    [
      "curl",
      "--schema",
      ".",
      ...args,
      "-d",
      JSON.stringify(body),
      `${server.url}/vlmrun.agent.v1.AgentService/${method}`,
    ],
    { timeout: 20_000 },
  );
  return stdout;
}

const body = { model: "AGENT_MODEL_ORION_1_AUTO", messages: [{ role: "ROLE_USER", content: "hi" }] };

describe("buf curl", () => {
  it("calls CreateChatCompletion over gRPC (h2c)", async () => {
    const out = JSON.parse(
      await bufCurl(["--protocol", "grpc", "--http2-prior-knowledge"], "CreateChatCompletion", body),
    );
    expect(out.model).toBe("vlmrun-orion-1:auto");
    expect(out.choices[0].message.content).toBe("Hello from the fake upstream.");
  });

  it("streams StreamChatCompletion over Connect (HTTP/1.1)", async () => {
    const out = await bufCurl(["--protocol", "connect"], "StreamChatCompletion", body);
    // One JSON document per message.
    const text = out
      .split(/\n(?=\{)/)
      .map((doc) => JSON.parse(doc))
      .map((chunk) => chunk.choices?.[0]?.delta?.content ?? "")
      .join("");
    expect(text).toBe("Hello from the fake upstream.");
  });

  it("calls ListModels over gRPC-Web", async () => {
    const out = JSON.parse(await bufCurl(["--protocol", "grpcweb"], "ListModels", {}));
    expect(out.models).toHaveLength(5);
  });
});
