import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzzRequest, isServerFault, sendFuzz } from "../support/fuzz.js";
import { startServer, type TestServer } from "../support/server.js";

// A small, seeded slice of `npm run bench:fuzz` (10,000 requests): mutated REST and Connect calls.
const SEED = 20261202;
const COUNT = 400;
const CONCURRENCY = 8;

describe("a seeded fuzz run over REST and Connect", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ORION_GUEST_DAILY_LIMIT: "1000000", ORION_SCHEMA_TIMEOUT_MS: "2000" });
  });
  afterAll(() => server.close());

  it("answers every mutated request with a status of its own, no 500s, no hangs, and stays healthy", async () => {
    const faults: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < COUNT) {
        const index = next++;
        const request = fuzzRequest(SEED, index);
        const outcome = await sendFuzz(server.url, request, 15_000);
        if (outcome.hung || outcome.status <= 0 || isServerFault(outcome)) {
          faults.push(
            `#${index} ${request.method} ${request.path} → ${outcome.hung ? "hung" : outcome.status} ${outcome.code ?? ""}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(faults).toEqual([]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(
      server.logs.filter((l) => l.msg === "internal error" || l.msg === "unhandled error in route"),
    ).toEqual([]);
  });
});
