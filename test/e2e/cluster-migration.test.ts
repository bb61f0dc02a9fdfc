import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateCluster, startRedisCluster } from "../support/redis.js";
import { postChat, startServer, type TestServer, uniquePrefix } from "../support/server.js";

const run = promisify(execFile);
const cli = async (port: string, ...args: string[]) =>
  (await run("redis-cli", ["-p", port, ...args])).stdout.trim();

interface Master {
  id: string;
  port: string;
  slots: [number, number][];
}

async function masters(anyPort: string): Promise<Master[]> {
  const lines = (await cli(anyPort, "cluster", "nodes")).split("\n");
  return lines
    .map((line) => line.split(" "))
    .filter((f) => f[2]?.includes("master"))
    .map((f) => ({
      id: f[0] as string,
      port: (f[1] as string).split("@")[0]?.split(":")[1] as string,
      slots: f
        .slice(8)
        .filter((r) => /^\d/.test(r))
        .map((r) => {
          const [a, b] = r.split("-").map(Number);
          return [a as number, (b ?? a) as number];
        }),
    }));
}

/** Moves one hash slot to another master the way redis-cli --cluster reshard does, key by key. */
async function migrateSlot(slot: number, nodes: Master[], pause: () => Promise<void>) {
  const source = nodes.find((n) => n.slots.some(([a, b]) => slot >= a && slot <= b)) as Master;
  const target = nodes.find((n) => n !== source) as Master;
  await cli(target.port, "cluster", "setslot", String(slot), "importing", source.id);
  await cli(source.port, "cluster", "setslot", String(slot), "migrating", target.id);
  for (;;) {
    const keys = (await cli(source.port, "cluster", "getkeysinslot", String(slot), "1"))
      .split("\n")
      .filter(Boolean);
    if (keys.length === 0) break;
    await cli(source.port, "migrate", "127.0.0.1", target.port, "", "0", "5000", "keys", ...keys);
    await pause(); // let traffic hit the half-migrated slot
  }
  for (const node of nodes) await cli(node.port, "cluster", "setslot", String(slot), "node", target.id);
}

let cluster: PrivateCluster;
let server: TestServer;
let prefix: string;
beforeAll(async () => {
  cluster = await startRedisCluster();
  prefix = uniquePrefix();
  server = await startServer({
    REDIS_CLUSTER_NODES: cluster.nodes.join(","),
    ORION_REDIS_PREFIX: prefix,
    ORION_GUEST_DAILY_LIMIT: "15",
    ORION_STORE_TIMEOUT_MS: "3000",
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

describe("a Redis Cluster whose slots migrate under traffic", () => {
  it("keeps the guest quota exact and the session whole", async () => {
    const browser = { "x-browser-id": "migrating-guest" };
    const first = (await (
      await postChat(server.url, { messages: [{ role: "user", content: "turn 0" }] }, browser)
    ).json()) as {
      session_id: string;
    };
    const id = first.session_id;
    const port = cluster.nodes[0]?.split(":")[1] as string;
    const day = new Date().toISOString().slice(0, 10);
    const sessionSlot = Number(await cli(port, "cluster", "keyslot", `${prefix}{s:${id}}:meta`));
    const counterKey = `${prefix}c:guest:migrating-guest:${day}`;
    const counterSlot = Number(await cli(port, "cluster", "keyslot", counterKey));

    const ownerOf = (nodes: Master[], slot: number) =>
      nodes.find((n) => n.slots.some(([a, b]) => slot >= a && slot <= b))?.id;
    const before = await masters(port);
    const statuses: number[] = [];
    let turn = 1;
    let migrating = true;
    const traffic = (async () => {
      while (migrating || turn < 25) {
        const res = await postChat(
          server.url,
          { session_id: id, messages: [{ role: "user", content: `turn ${turn++}` }] },
          browser,
        );
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    })();
    const pause = () => new Promise<void>((r) => setTimeout(r, 30));
    await migrateSlot(sessionSlot, await masters(port), pause);
    const beforeCounter = await masters(port);
    await migrateSlot(counterSlot, beforeCounter, pause);
    migrating = false;
    await traffic;

    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // 15 allowed in all, the first request included.
    expect(statuses.filter((s) => s === 200)).toHaveLength(14);
    const stored = (await (await fetch(`${server.url}/v1/sessions/${id}`, { headers: browser })).json()) as {
      messages: { role: string; content: string }[];
    };
    const allowedTurns = 15;
    expect(stored.messages).toHaveLength(allowedTurns * 2);
    // The slots really moved while the traffic ran.
    const after = await masters(port);
    expect(ownerOf(after, sessionSlot)).not.toBe(ownerOf(before, sessionSlot));
    const counterFrom = beforeCounter.find((n) => n.id === ownerOf(beforeCounter, counterSlot)) as Master;
    const counterTo = after.find((n) => n.id === ownerOf(after, counterSlot)) as Master;
    expect(counterTo.id).not.toBe(counterFrom.id);
    // The counter itself lives on its new node, with every allowed chat counted; none is left behind.
    expect(await cli(counterTo.port, "get", counterKey)).toBe("15");
    expect(await cli(counterFrom.port, "cluster", "countkeysinslot", String(counterSlot))).toBe("0");
  });
});
