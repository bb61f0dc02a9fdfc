import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import * as connectNode from "@connectrpc/connect-node";
import * as connectWeb from "@connectrpc/connect-web";
import type * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ChatCompletionRequestSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentModel, FinishReason, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { grpcErrorDetails, grpcJsClient, unary } from "../support/grpc-js-client.js";
import { startServer, type TestServer } from "../support/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const init = { model: AgentModel.ORION_1_FAST, messages: [{ role: Role.USER, content: "Say hello" }] };
const request = create(ChatCompletionRequestSchema, init);

const transports: Record<string, () => Transport> = {
  "gRPC over h2c (connect-node)": () => connectNode.createGrpcTransport({ baseUrl: server.url }),
  "gRPC-Web over HTTP/1.1 (connect-node)": () =>
    connectNode.createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" }),
  "Connect over HTTP/1.1 (connect-node)": () =>
    connectNode.createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
  "Connect over h2c (connect-node)": () =>
    connectNode.createConnectTransport({ baseUrl: server.url, httpVersion: "2" }),
  "Connect JSON over fetch (connect-web)": () =>
    connectWeb.createConnectTransport({ baseUrl: server.url, useBinaryFormat: false }),
  "gRPC-Web over fetch (connect-web)": () => connectWeb.createGrpcWebTransport({ baseUrl: server.url }),
};

describe.each(Object.entries(transports))("%s", (_name, makeTransport) => {
  it("calls CreateChatCompletion", async () => {
    const client = createClient(AgentService, makeTransport());
    const reply = await client.createChatCompletion(request);
    expect(reply.model).toBe("vlmrun-orion-1:fast");
    expect(reply.choices[0]?.message?.content).toBe("Hello from the fake upstream.");
    expect(reply.choices[0]?.finishReason).toBe(FinishReason.STOP);
    expect(reply.usage?.totalTokens).toBe(16);
    expect(reply.sessionId).not.toBe("");
  });

  it("streams StreamChatCompletion", async () => {
    const client = createClient(AgentService, makeTransport());
    let text = "";
    let finish = FinishReason.UNSPECIFIED;
    for await (const chunk of client.streamChatCompletion(
      create(ChatCompletionRequestSchema, { ...init, streamOptions: { includeUsage: true } }),
    )) {
      for (const choice of chunk.choices) {
        text += choice.delta?.content ?? "";
        if (choice.finishReason) finish = choice.finishReason;
      }
    }
    expect(text).toBe("Hello from the fake upstream.");
    expect(finish).toBe(FinishReason.STOP);
  });

  it("returns InvalidArgument with BadRequest field violations", async () => {
    const client = createClient(AgentService, makeTransport());
    const error = await client
      .createChatCompletion({ ...init, n: 99, messages: [] })
      .catch((e: unknown) => e);
    const ce = ConnectError.from(error);
    expect(ce.code).toBe(Code.InvalidArgument);
    const violations = ce.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field);
    expect(violations).toEqual(["messages", "n"]);
    expect(ce.findDetails(ErrorInfoSchema)[0]?.reason).toBe("VALIDATION");
  });

  it("answers NotFound for an artifact that does not exist", async () => {
    const client = createClient(AgentService, makeTransport());
    const error = ConnectError.from(
      await client
        .getArtifact({ objectId: "img_000000", sessionId: "no-such-session" })
        .catch((e: unknown) => e),
    );
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toContain("img_000000");
  });

  it("lists models and provider availability", async () => {
    const client = createClient(AgentService, makeTransport());
    const list = await client.listModels({});
    expect(list.models.map((m) => m.id)).toContain("vlmrun-orion-1:auto");
    expect(list.models.find((m) => m.id === "vlmrun-orion-1")?.resolvesTo).toBe(AgentModel.ORION_1_AUTO);
    expect(list.providers).toHaveLength(12);
    expect(list.providers.find((p) => p.id === "meta-sam3")).toMatchObject({
      available: false,
      setting: "ORION_MODEL_META_SAM3_URL",
    });
  });
});

describe("@grpc/grpc-js (a gRPC stack we did not write)", () => {
  it("calls unary, streams, and reads error codes and details", async () => {
    const client = grpcJsClient(server.url);
    try {
      const reply = await unary<{ choices: { message: { content: string } }[]; model: string }>(
        client,
        "CreateChatCompletion",
        { model: "AGENT_MODEL_ORION_1_PRO", messages: [{ role: "ROLE_USER", content: "hi" }] },
      );
      expect(reply.model).toBe("vlmrun-orion-1:pro");
      expect(reply.choices[0]?.message.content).toBe("Hello from the fake upstream.");

      const call = (
        client.StreamChatCompletion as (
          req: unknown,
        ) => grpc.ClientReadableStream<{ choices?: { delta?: { content?: string } }[] }>
      )({ messages: [{ role: "ROLE_USER", content: "hi" }], stream_options: { include_usage: true } });
      let text = "";
      for await (const chunk of call) text += chunk.choices?.[0]?.delta?.content ?? ""; // usage chunk: no choices
      expect(text).toBe("Hello from the fake upstream.");

      const error = (await unary(client, "CreateChatCompletion", {
        messages: [{ role: "ROLE_USER", content: "hi" }],
        temperature: 9,
      }).catch((e: unknown) => e)) as grpc.ServiceError;
      expect(error.code).toBe(3); // INVALID_ARGUMENT
      expect(error.details).toContain("temperature");
      const details = grpcErrorDetails(error);
      const badRequest = details.find((d) => d?.$typeName === "google.rpc.BadRequest") as
        | { fieldViolations: { field: string; reason: string }[] }
        | undefined;
      expect(badRequest?.fieldViolations).toEqual([
        expect.objectContaining({ field: "temperature", reason: "less_than_equal" }),
      ]);
    } finally {
      client.close();
    }
  });
});
