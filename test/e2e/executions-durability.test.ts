import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEvents, slowServer, submit, waitEnded, waitForEvent } from "../support/executions.js";
import { freshDataDir } from "../support/server.js";
import { ServerProcesses, sigkill } from "../support/server-process.js";

// One machine, no Redis: executions live in the durable embedded store. A server process killed
// with SIGKILL mid-run and started again resumes the run; with ORION_WORKERS=2 each runs once.

const KEY = "sk-durable-exec-1";
let slow: Awaited<ReturnType<typeof slowServer>>;
const servers = new ServerProcesses();

beforeAll(async () => {
  slow = await slowServer(3_000);
});

afterAll(async () => {
  servers.killAll();
  await slow?.close();
});

function envFor(dir: string, extra: Record<string, string> = {}) {
  return {
    ORION_DATA_DIR: dir,
    ORION_API_KEYS: `${KEY}=dana`,
    ORION_URL_ALLOW_HOSTS: slow.host,
    ORION_EXECUTION_LOCK_MS: "1000",
    ORION_PLAYGROUND: "off",
    ...extra,
  };
}

describe("executions on the durable embedded store", () => {
  it("submit, SIGKILL mid-run, restart: the execution is resumed and completes", async () => {
    const env = envFor(freshDataDir());
    const first = await servers.start(env);
    const accepted = await submit(first.url, KEY, {
      batch: true,
      config: { prompt: `Load the file at ${slow.url}` },
    });
    const before = await waitForEvent(first.url, KEY, accepted.body.id, "tool.started");
    await sigkill(first);
    const restartedAt = performance.now();
    const second = await servers.start(env);
    const resumed = await waitForEvent(second.url, KEY, accepted.body.id, "execution.resumed", 20_000);
    console.log(
      `figure: embedded store, restart → resumed run in ${(performance.now() - restartedAt).toFixed(0)} ms (lock 1000 ms)`,
    );
    expect(Number(resumed.id)).toBeGreaterThan(Number(before.id));
    const ended = await waitEnded(second.url, KEY, accepted.body.id, 30_000);
    expect(ended).toMatchObject({ status: "completed", attempts: 2 });
    const { events } = await readEvents(second.url, KEY, accepted.body.id);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.event).toBe("execution.completed");
  }, 60_000);

  it("SIGTERM mid-run hands the run back: the restart resumes it at once, not counted as a crash", async () => {
    const env = envFor(freshDataDir(), { ORION_EXECUTION_ATTEMPTS: "1", ORION_EXECUTION_LOCK_MS: "60000" });
    const first = await servers.start(env);
    const accepted = await submit(first.url, KEY, {
      batch: true,
      config: { prompt: `Load the file at ${slow.url}` },
    });
    await waitForEvent(first.url, KEY, accepted.body.id, "tool.started");
    const exited = new Promise((resolve) => first.child.once("exit", resolve));
    first.stop();
    await exited;
    const second = await servers.start(env);
    // A lease of a minute: only a handed-back run can be resumed this soon.
    await waitForEvent(second.url, KEY, accepted.body.id, "execution.resumed", 10_000);
    const ended = await waitEnded(second.url, KEY, accepted.body.id, 30_000);
    expect(ended).toMatchObject({ status: "completed", attempts: 1 });
  }, 60_000);

  it("a run whose process keeps dying ends failed, saying why", async () => {
    const env = envFor(freshDataDir(), { ORION_EXECUTION_ATTEMPTS: "1" });
    const first = await servers.start(env);
    const accepted = await submit(first.url, KEY, {
      batch: true,
      config: { prompt: `Load the file at ${slow.url}` },
    });
    await waitForEvent(first.url, KEY, accepted.body.id, "tool.started");
    await sigkill(first);
    const second = await servers.start(env);
    const ended = await waitEnded(second.url, KEY, accepted.body.id, 20_000);
    expect(ended.status).toBe("failed");
    expect(ended.error).toMatch(/interrupted 1 times/);
    const { events } = await readEvents(second.url, KEY, accepted.body.id);
    expect(events.at(-1)?.event).toBe("execution.failed");
  }, 60_000);

  it("with ORION_WORKERS=2 on one data directory, each execution runs exactly once", async () => {
    const server = await servers.start(envFor(freshDataDir(), { ORION_WORKERS: "2" }));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(
        (await submit(server.url, KEY, { batch: true, config: { prompt: `Say hello ${i}` } })).body.id,
      );
    }
    for (const id of ids) {
      const ended = await waitEnded(server.url, KEY, id, 20_000);
      expect(ended).toMatchObject({ status: "completed", attempts: 1 });
      const { events } = await readEvents(server.url, KEY, id);
      expect(events.filter((e) => e.event === "execution.running")).toHaveLength(1);
    }
  }, 60_000);
});
