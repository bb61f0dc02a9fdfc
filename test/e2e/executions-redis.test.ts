import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bearer,
  getExecution,
  readEvents,
  slowServer,
  submit,
  WEBHOOK_SECRET,
  waitEnded,
  waitForEvent,
  webhookReceiver,
} from "../support/executions.js";
import { type PrivateRedis, startRedis } from "../support/redis.js";
import { uniquePrefix } from "../support/server.js";
import { type ServerProcess, spawnServer } from "../support/server-process.js";

// Two API replicas (real processes) on one private Redis: any replica serves any execution, a
// replica killed with SIGKILL mid-run loses nothing, webhooks are delivered once per execution.

const ALICE = "sk-redis-alice-1";
const BOB = "sk-redis-bobby-1";
let redis: PrivateRedis;
let a: ServerProcess;
let b: ServerProcess;
let slow: Awaited<ReturnType<typeof slowServer>>;
let receiver: Awaited<ReturnType<typeof webhookReceiver>>;

beforeAll(async () => {
  redis = await startRedis();
  slow = await slowServer(5_000);
  receiver = await webhookReceiver(WEBHOOK_SECRET, ["500"]);
  const env = {
    REDIS_URL: redis.url,
    ORION_REDIS_PREFIX: uniquePrefix(),
    ORION_API_KEYS: `${ALICE}=alice,${BOB}=bob`,
    ORION_URL_ALLOW_HOSTS: [slow.host, receiver.host].join(","),
    ORION_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ORION_WEBHOOK_RETRY_BASE_MS: "300",
    ORION_EXECUTION_LOCK_MS: "2000",
    ORION_PLAYGROUND: "off",
  };
  [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
}, 60_000);

afterAll(async () => {
  for (const p of [a, b]) p?.child.kill("SIGKILL");
  await Promise.all([redis?.stop(), slow?.close(), receiver?.close()]);
});

/** Runs this replica has started (its queue-wait histogram counts one per first start). */
async function runsStarted(p: ServerProcess): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  const recoveries = Number(/^orion_execution_recoveries_total (\d+)/m.exec(text)?.[1] ?? 0);
  return Number(/^orion_execution_queue_seconds_count (\d+)/m.exec(text)?.[1] ?? 0) + recoveries;
}

/** Which replica took the execution: the one whose count of started runs went up. */
async function runnerOf(before: [number, number]): Promise<[ServerProcess, ServerProcess]> {
  const [ra, rb] = [await runsStarted(a), await runsStarted(b)];
  if (ra > before[0]) return [a, b];
  if (rb > before[1]) return [b, a];
  throw new Error("neither replica started the run");
}

describe("executions on two replicas sharing Redis", () => {
  it("submitted on one, read and streamed from the other", async () => {
    const accepted = await submit(a.url, ALICE, { batch: true, config: { prompt: "Say hello" } });
    expect(accepted.status).toBe(200);
    const ended = await waitEnded(b.url, ALICE, accepted.body.id);
    expect(ended.status).toBe("completed");
    const { events } = await readEvents(b.url, ALICE, accepted.body.id);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.event).toBe("execution.completed");
    const replay = await readEvents(a.url, ALICE, accepted.body.id, { startingAfter: 1 });
    expect(replay.events).toEqual(events.slice(1));
    const listed = (await (
      await fetch(`${b.url}/v1/agent/executions`, { headers: bearer(ALICE) })
    ).json()) as {
      id: string;
    }[];
    expect(listed[0]?.id).toBe(accepted.body.id);
  });

  it("keeps callers apart on every replica", async () => {
    const accepted = await submit(a.url, ALICE, { batch: true, config: { prompt: "Say hello" } });
    for (const p of [a, b]) {
      expect((await getExecution(p.url, BOB, accepted.body.id)).status).toBe(404);
      expect((await readEvents(p.url, BOB, accepted.body.id)).status).toBe(404);
    }
  });

  it("delivers one signed webhook per execution; a 500 is retried with the same webhook-id", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const replica = i % 2 === 0 ? a : b;
      ids.push(
        (
          await submit(replica.url, ALICE, {
            batch: true,
            callback_url: receiver.url,
            config: { prompt: `Say hello ${i}` },
          })
        ).body.id,
      );
    }
    await expect.poll(() => receiver.deliveries.length, { timeout: 15_000 }).toBe(4);
    await new Promise((r) => setTimeout(r, 1_500)); // nothing more arrives
    expect(receiver.deliveries).toHaveLength(4);
    expect(receiver.deliveries.every((d) => d.valid)).toBe(true);
    for (const id of ids) {
      const mine = receiver.deliveries.filter((d) => d.id === `msg_${id}`);
      expect(mine.filter((d) => d.answer === "200")).toHaveLength(1);
      expect(mine.at(-1)?.body).toMatchObject({ id, status: "completed" });
    }
    const retried = receiver.deliveries.filter((d) => d.answer === "500");
    expect(retried).toHaveLength(1);
  }, 30_000);

  it("cancel on one replica aborts the tool running on the other", async () => {
    const before: [number, number] = [await runsStarted(a), await runsStarted(b)];
    const abortedBefore = slow.state.aborted;
    const accepted = await submit(a.url, ALICE, {
      batch: true,
      config: { prompt: `Load the file at ${slow.url}` },
    });
    await waitForEvent(a.url, ALICE, accepted.body.id, "tool.started");
    const [, other] = await runnerOf(before);
    const cancelled = await fetch(`${other.url}/v1/agent/executions/${accepted.body.id}/cancel`, {
      method: "POST",
      headers: bearer(ALICE),
    });
    expect(cancelled.status).toBe(200);
    await expect.poll(() => slow.state.aborted, { timeout: 3_000 }).toBe(abortedBefore + 1);
    const { events } = await readEvents(other.url, ALICE, accepted.body.id);
    expect(events.at(-1)?.event).toBe("execution.cancelled");
  }, 30_000);

  it("SIGKILL of the replica running a long execution: the other resumes it and it completes", async () => {
    const before: [number, number] = [await runsStarted(a), await runsStarted(b)];
    const accepted = await submit(a.url, ALICE, {
      batch: true,
      config: { prompt: `Load the file at ${slow.url}` },
    });
    const started = await waitForEvent(b.url, ALICE, accepted.body.id, "tool.started");
    const [runner, survivor] = await runnerOf(before);
    const exited = new Promise((resolve) => runner.child.once("exit", resolve));
    runner.child.kill("SIGKILL");
    const killedAt = performance.now();
    await exited;
    const resumed = await waitForEvent(survivor.url, ALICE, accepted.body.id, "execution.resumed", 20_000);
    const resumedAfterMs = performance.now() - killedAt;
    console.log(
      `figure: SIGKILL → resumed run on the other replica in ${resumedAfterMs.toFixed(0)} ms (lock 2000 ms)`,
    );
    expect(Number(resumed.id)).toBeGreaterThan(Number(started.id));
    const ended = await waitEnded(survivor.url, ALICE, accepted.body.id, 30_000);
    expect(ended).toMatchObject({ status: "completed", attempts: 2 });
    const { events } = await readEvents(survivor.url, ALICE, accepted.body.id);
    // One log across both runs: dense, no number reused, both tool starts kept.
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.event === "tool.started")).toHaveLength(2);
    expect(events.at(-1)?.event).toBe("execution.completed");
  }, 60_000);
});
