import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startBareServer } from "../support/server.js";

/** The README's quick start, as a newcomer reads it. */
const quickStart = (() => {
  const readme = readFileSync("README.md", "utf8");
  return readme.slice(
    readme.indexOf("## Quick start"),
    readme.indexOf("\n## ", readme.indexOf("## Quick start") + 1),
  );
})();

/** `VAR=value npm start` lines of the quick start's sh blocks, as environments. */
function startLines(): Record<string, string>[] {
  const shBlocks = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return shBlocks
    .flatMap((block) => block.split("\n"))
    .map((line) => /^((?:[A-Z_]+=\S+ )+)npm start\b/.exec(line)?.[1])
    .filter((env): env is string => env !== undefined)
    .map((env) =>
      Object.fromEntries(
        env
          .trim()
          .split(" ")
          .map((kv) => kv.split(/=(.*)/s).slice(0, 2)),
      ),
    );
}

/** The first curl example's body: what a newcomer sends over and over. */
const EXAMPLE = {
  model: "vlmrun-orion-1:auto",
  messages: [{ role: "user", content: "Describe this image" }],
};

async function chats(url: string, count: number, headers: Record<string, string> = {}): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${url}/v1/openai/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-browser-id": "readme-newcomer", ...headers },
      body: JSON.stringify(EXAMPLE),
    });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

describe("the README's quick start", () => {
  it("tells a guest about the daily allowance, and how to raise it or use a key: both work as written", async () => {
    expect(quickStart).toMatch(/guest[\s\S]*ORION_GUEST_DAILY_LIMIT[\s\S]*\(10\)[\s\S]*429/);
    // As shipped: the 11th guest chat of a day is a 429.
    const plain = await startBareServer({ ORION_PLAYGROUND: "off" });
    try {
      expect(await chats(plain.url, 11)).toEqual([...Array(10).fill(200), 429]);
    } finally {
      await plain.app.shutdown(0);
    }
    const envs = startLines();
    const raised = envs.find((env) => env.ORION_GUEST_DAILY_LIMIT !== undefined);
    const keyed = envs.find((env) => env.ORION_API_KEYS !== undefined);
    expect(raised, "a `ORION_GUEST_DAILY_LIMIT=… npm start` line").toBeDefined();
    expect(keyed, "an `ORION_API_KEYS=… npm start` line").toBeDefined();
    const header = /-H 'authorization: (Bearer [^']+)'/.exec(quickStart)?.[1];
    expect(header, "the header a key's curl adds").toBeDefined();

    for (const [env, headers] of [
      [raised, {}],
      [keyed, { authorization: header as string }],
    ] as const) {
      const server = await startBareServer({ ...env, ORION_PLAYGROUND: "off" });
      try {
        expect(await chats(server.url, 12, headers)).toEqual(Array(12).fill(200));
      } finally {
        await server.app.shutdown(0);
      }
    }
  }, 60_000);
});
