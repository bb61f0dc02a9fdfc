import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../gen/vlmrun/agent/v1/executions_pb.js";
import { createOrionClient } from "../../src/client/node.js";
import type { App } from "../../src/server/app.js";
import { startBareServer } from "../support/server.js";

// The same executions through gRPC and Connect: ExecuteAgent, Get/List/Cancel, and the
// server-streaming WatchExecution from a sequence number.

const KEY = "sk-rpc-exec-1";
let app: App;
let url: string;
beforeAll(async () => {
  ({ app, url } = await startBareServer({ ORION_API_KEYS: `${KEY}=rita,sk-rpc-other=otto` }));
});
afterAll(() => app?.shutdown(0));

describe.each(["grpc", "connect"] as const)("executions over %s", (transport) => {
  it("submits, watches from the start and from a sequence number, gets and lists", async () => {
    const client = createOrionClient({ baseUrl: url, transport, apiKey: KEY });
    const accepted = await client.executeAgent({ batch: true, config: { prompt: "Say hello" } });
    expect(accepted.status).toBe(ExecutionStatus.PENDING);
    const events = [];
    for await (const event of client.watchExecution({ id: accepted.id })) events.push(event);
    expect(events.map((e) => Number(e.sequence))).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.type).toBe("execution.completed");
    expect(events.at(-1)?.execution?.status).toBe(ExecutionStatus.COMPLETED);
    const replayed = [];
    for await (const event of client.watchExecution({ id: accepted.id, startingAfter: 2n }))
      replayed.push(event);
    expect(replayed.map((e) => e.sequence)).toEqual(events.slice(2).map((e) => e.sequence));
    const got = await client.getExecution({ id: accepted.id });
    expect(got.status).toBe(ExecutionStatus.COMPLETED);
    expect(got.response?.kind.case).toBe("structValue");
    const listed = await client.listExecutions({ limit: 1 });
    expect(listed.executions.map((e) => e.id)).toEqual([accepted.id]);
  });

  it("answers an invalid submit with INVALID_ARGUMENT, a foreign id with NOT_FOUND, a guest with UNAUTHENTICATED", async () => {
    const client = createOrionClient({ baseUrl: url, transport, apiKey: KEY });
    const invalid = await client.executeAgent({ batch: false, config: { prompt: "hi" } }).catch((e) => e);
    expect(ConnectError.from(invalid).code).toBe(Code.InvalidArgument);
    const accepted = await client.executeAgent({ batch: true, config: { prompt: "Say hello" } });
    const other = createOrionClient({ baseUrl: url, transport, apiKey: "sk-rpc-other" });
    const foreign = await other.getExecution({ id: accepted.id }).catch((e) => e);
    expect(ConnectError.from(foreign).code).toBe(Code.NotFound);
    const guest = createOrionClient({ baseUrl: url, transport, browserId: "rpc-guest" });
    const refused = await guest.listExecutions({}).catch((e) => e);
    expect(ConnectError.from(refused).code).toBe(Code.Unauthenticated);
  });
});
