import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submit, WEBHOOK_SECRET, waitEnded, webhookReceiver } from "../support/executions.js";
import { freshDataDir } from "../support/server.js";
import { ServerProcesses, sigkill } from "../support/server-process.js";

// One machine, no Redis: a webhook delivery waiting for its retry is a row in the embedded store's
// file, so a server killed with SIGKILL between two attempts makes the retry after its restart.

const KEY = "sk-durable-hooks-1";
const RETRY_BASE_MS = 1_500;
const servers = new ServerProcesses();
const receivers: Awaited<ReturnType<typeof webhookReceiver>>[] = [];

afterAll(async () => {
  servers.killAll();
  for (const r of receivers) await r.close();
});

async function receiver(answers: ("500" | "200")[]) {
  const r = await webhookReceiver(WEBHOOK_SECRET, answers);
  receivers.push(r);
  return r;
}

function envFor(dir: string, allowHost: string, extra: Record<string, string> = {}) {
  return {
    ORION_DATA_DIR: dir,
    ORION_API_KEYS: `${KEY}=dana`,
    ORION_URL_ALLOW_HOSTS: allowHost,
    ORION_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ORION_WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS),
    ORION_WEBHOOK_TIMEOUT_MS: "1000",
    ORION_PLAYGROUND: "off",
    ...extra,
  };
}

const metricsOf = async (url: string) => (await fetch(`${url}/metrics`)).text();

describe("webhooks on the durable embedded store", () => {
  let hooks: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    hooks = await receiver(["500"]);
  });

  it("a retry pending when the server is SIGKILLed is made after the restart, same webhook-id, once", async () => {
    const env = envFor(freshDataDir(), hooks.host);
    const first = await servers.start(env);
    const accepted = await submit(first.url, KEY, {
      batch: true,
      config: { prompt: "Say hello" },
      callback_url: hooks.url,
    });
    expect(accepted.status).toBe(200);
    await expect.poll(() => hooks.deliveries.length, { timeout: 15_000, interval: 10 }).toBe(1);
    const firstAt = Date.now();
    await new Promise((r) => setTimeout(r, 300)); // the 500 read and the retry's time written
    expect(hooks.deliveries).toHaveLength(1); // killed before the retry is due
    await sigkill(first);
    expect(Date.now() - firstAt).toBeLessThan(RETRY_BASE_MS);

    const second = await servers.start(env);
    await expect.poll(() => hooks.deliveries.length, { timeout: 15_000, interval: 20 }).toBe(2);
    const retriedAfterMs = Date.now() - firstAt;
    console.log(
      `figure: retry after SIGKILL and restart arrived ${retriedAfterMs} ms after the first attempt`,
    );
    expect(retriedAfterMs).toBeGreaterThanOrEqual(RETRY_BASE_MS - 50); // the backoff, kept across the restart
    const [one, two] = hooks.deliveries;
    expect(one?.answer).toBe("500");
    expect(two?.answer).toBe("200");
    expect(one?.valid && two?.valid).toBe(true);
    expect(two?.id).toBe(one?.id);
    expect(two?.id).toBe(`msg_${accepted.body.id}`);
    expect(two?.body).toEqual(one?.body); // the body as first sent
    expect(two?.body).toMatchObject({ id: accepted.body.id, status: "completed" });

    await new Promise((r) => setTimeout(r, RETRY_BASE_MS * 2));
    expect(hooks.deliveries).toHaveLength(2); // delivered once: the row is gone
    expect(await metricsOf(second.url)).toMatch(/orion_webhook_deliveries_total\{outcome="delivered"\} 1\b/);
  }, 60_000);

  it("with ORION_WORKERS=2 on one data directory, each webhook is delivered exactly once", async () => {
    const all = await receiver([]);
    const server = await servers.start(envFor(freshDataDir(), all.host, { ORION_WORKERS: "2" }));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const accepted = await submit(server.url, KEY, {
        batch: true,
        config: { prompt: `Say hello ${i}` },
        callback_url: all.url,
      });
      ids.push(accepted.body.id);
    }
    for (const id of ids) await waitEnded(server.url, KEY, id, 20_000);
    await expect.poll(() => all.deliveries.length, { timeout: 10_000 }).toBe(6);
    await new Promise((r) => setTimeout(r, 2_500)); // both processes have looked at the table since
    expect(all.deliveries.map((d) => d.id).sort()).toEqual(ids.map((id) => `msg_${id}`).sort());
    expect(all.deliveries.every((d) => d.valid)).toBe(true);
  }, 60_000);
});
