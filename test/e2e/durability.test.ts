import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { pngDataUrl } from "../support/images.js";
import { freshDataDir } from "../support/server.js";
import { sigkill, spawnServer } from "../support/server-process.js";

// The embedded default loses nothing: real server processes on one data directory, killed with
// SIGKILL (no shutdown, no flush) and started again.

const run = promisify(execFile);
const guest = { "x-browser-id": "durable-guest" };

async function chat(url: string, body: unknown, headers: Record<string, string> = guest) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("the durable embedded store, across SIGKILL", () => {
  it("keeps the history, the artifact, the key and the guest's count", async () => {
    const dir = freshDataDir();
    const env = { ORION_DATA_DIR: dir, ORION_GUEST_DAILY_LIMIT: "5", ORION_PLAYGROUND: "off" };
    const first = await spawnServer(env);
    const said = await chat(first.url, {
      messages: [{ role: "user", content: "the word is avocado" }],
      session_id: "trip",
    });
    expect(said.status).toBe(200);
    const image = await pngDataUrl(16, 16, "#00ff00");
    const cropped = await chat(first.url, {
      session_id: "trip",
      toolsets: ["image"],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "crop the top-left quarter" },
            { type: "image_url", image_url: { url: image } },
          ],
        },
      ],
    });
    expect(cropped.status).toBe(200);
    const artifacts = cropped.body.artifacts as { id: string; url: string }[];
    expect(artifacts.length).toBeGreaterThan(0);
    expect((await chat(first.url, { messages: [{ role: "user", content: "third" }] })).status).toBe(200);
    const key = JSON.parse(
      (
        await run(
          process.execPath,
          ["--import", "tsx", "src/cli/main.ts", "keys", "create", "--user", "kim"],
          {
            env: { ...process.env, REDIS_URL: "", REDIS_CLUSTER_NODES: "", ORION_DATA_DIR: dir },
          },
        )
      ).stdout,
    ) as { key: string };
    await sigkill(first);

    const second = await spawnServer(env);
    try {
      const session = await fetch(`${second.url}/v1/sessions/trip`, { headers: guest });
      expect(session.status).toBe(200);
      const stored = JSON.stringify(await session.json());
      expect(stored).toContain("the word is avocado");
      expect(stored).toContain("crop the top-left quarter");
      for (const artifact of artifacts) {
        const res = await fetch(`${second.url}${artifact.url}`, { headers: guest });
        expect(res.status, artifact.url).toBe(200);
      }
      const quota = (await (await fetch(`${second.url}/v1/quota`, { headers: guest })).json()) as {
        remaining_today: number;
      };
      expect(quota.remaining_today).toBe(2);
      const keyed = await fetch(`${second.url}/v1/quota`, {
        headers: { authorization: `Bearer ${key.key}` },
      });
      expect(keyed.status).toBe(200);
      expect((await chat(second.url, { messages: [{ role: "user", content: "4" }] })).status).toBe(200);
      expect((await chat(second.url, { messages: [{ role: "user", content: "5" }] })).status).toBe(200);
      expect((await chat(second.url, { messages: [{ role: "user", content: "6" }] })).status).toBe(429);
    } finally {
      second.stop();
    }
  }, 90_000);

  it("keeps a guest limit exact across ORION_WORKERS=2 processes on one data directory", async () => {
    const server = await spawnServer({
      ORION_DATA_DIR: freshDataDir(),
      ORION_WORKERS: "2",
      ORION_GUEST_DAILY_LIMIT: "7",
      ORION_PLAYGROUND: "off",
    });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          fetch(`${server.url}/v1/chat/completions`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-browser-id": "shared-guest",
              connection: "close",
            },
            body: JSON.stringify({ messages: [{ role: "user", content: `hi ${i}` }] }),
          }).then((r) => r.status),
        ),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(7);
      expect(statuses.filter((s) => s === 429)).toHaveLength(23);
    } finally {
      server.stop();
    }
  }, 90_000);
});

describe("orion backup", () => {
  it("copies the store while the server runs; a server on the copy has the conversation", async () => {
    const dir = freshDataDir();
    const server = await spawnServer({ ORION_DATA_DIR: dir, ORION_PLAYGROUND: "off" });
    const copyDir = freshDataDir();
    try {
      const said = await chat(server.url, {
        messages: [{ role: "user", content: "back me up" }],
        session_id: "bk",
      });
      expect(said.status).toBe(200);
      const { stdout } = await run(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "backup", `${copyDir}/orion.db`],
        { env: { ...process.env, REDIS_URL: "", REDIS_CLUSTER_NODES: "", ORION_DATA_DIR: dir } },
      );
      expect(JSON.parse(stdout)).toMatchObject({ backup: `${copyDir}/orion.db` });
    } finally {
      server.stop();
    }
    const restored = await spawnServer({ ORION_DATA_DIR: copyDir, ORION_PLAYGROUND: "off" });
    try {
      const session = await fetch(`${restored.url}/v1/sessions/bk`, { headers: guest });
      expect(JSON.stringify(await session.json())).toContain("back me up");
    } finally {
      restored.stop();
    }
  }, 60_000);
});

describe("the durable embedded store when its file is locked too long", () => {
  it("answers writes 503 (quota fails closed), keeps reads working, fails /readyz, and recovers", async () => {
    const { startServer } = await import("../support/server.js");
    const Database = (await import("better-sqlite3")).default;
    const { join } = await import("node:path");
    const dir = freshDataDir();
    const server = await startServer({
      ORION_DATA_DIR: dir,
      ORION_STORE_TIMEOUT_MS: "200",
      ORION_GUEST_DAILY_LIMIT: "50",
    });
    const other = new Database(join(dir, "orion.db"));
    try {
      const said = await chat(server.url, {
        messages: [{ role: "user", content: "before" }],
        session_id: "kept",
      });
      expect(said.status).toBe(200);
      other.exec("BEGIN EXCLUSIVE");
      const refused = await chat(server.url, { messages: [{ role: "user", content: "during" }] });
      expect(refused.status).toBe(503);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const session = await fetch(`${server.url}/v1/sessions/kept`, { headers: guest });
      expect(session.status).toBe(200);
      other.exec("COMMIT");
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      expect((await chat(server.url, { messages: [{ role: "user", content: "after" }] })).status).toBe(200);
      const check = other.pragma("integrity_check", { simple: true });
      expect(check).toBe("ok");
    } finally {
      if (other.inTransaction) other.exec("ROLLBACK");
      other.close();
      await server.close();
    }
  }, 30_000);
});

describe("SIGKILL at random moments during mixed traffic", () => {
  it("loses nothing a client was answered, keeps the file sound, and never moves a counter back", async () => {
    const Database = (await import("better-sqlite3")).default;
    const { join } = await import("node:path");
    const dir = freshDataDir();
    const env = { ORION_DATA_DIR: dir, ORION_GUEST_DAILY_LIMIT: "100000", ORION_PLAYGROUND: "off" };
    const answered: { session: string; text: string }[] = [];
    const artifacts: string[] = [];
    const keys: string[] = [];
    let usedBefore = 0;
    const image = await pngDataUrl(16, 16, "#3366ff");
    for (let round = 0; round < 2; round++) {
      const server = await spawnServer(env);
      let running = true;
      const traffic = Array.from({ length: 3 }, async (_, lane) => {
        for (let i = 0; running; i++) {
          const session = `r${round}-l${lane}-${i}`;
          const text = `message ${session}`;
          const withImage = i % 3 === 0;
          const body = withImage
            ? {
                session_id: session,
                toolsets: ["image"],
                messages: [
                  {
                    role: "user",
                    content: [
                      { type: "text", text: `crop the top-left quarter, ${text}` },
                      { type: "image_url", image_url: { url: image } },
                    ],
                  },
                ],
              }
            : { session_id: session, messages: [{ role: "user", content: text }] };
          try {
            const reply = await chat(server.url, body);
            if (reply.status !== 200) continue;
            answered.push({ session, text });
            for (const a of (reply.body.artifacts as { url: string }[] | undefined) ?? [])
              artifacts.push(a.url);
          } catch {
            return; // the server was killed mid-request: this one was never answered
          }
        }
      });
      const keyMade = run(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "keys", "create", "--user", `k${round}`],
        {
          env: { ...process.env, REDIS_URL: "", REDIS_CLUSTER_NODES: "", ORION_DATA_DIR: dir },
        },
      ).then(
        ({ stdout }) => keys.push((JSON.parse(stdout) as { key: string }).key),
        () => {},
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000 + Math.random() * 1_500));
      server.child.kill("SIGKILL");
      running = false;
      await Promise.all([...traffic, keyMade]);
      const { child } = server;
      if (child.exitCode === null && child.signalCode === null)
        await new Promise((r) => child.once("exit", r));

      const db = new Database(join(dir, "orion.db"));
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      db.close();

      const again = await spawnServer(env);
      try {
        await Promise.all(
          answered.map(async ({ session, text }) => {
            const res = await fetch(`${again.url}/v1/sessions/${session}`, { headers: guest });
            expect(res.status, session).toBe(200);
            expect(JSON.stringify(await res.json()), session).toContain(text);
          }),
        );
        await Promise.all(
          artifacts.map(async (url) =>
            expect((await fetch(`${again.url}${url}`, { headers: guest })).status, url).toBe(200),
          ),
        );
        for (const key of keys) {
          const res = await fetch(`${again.url}/v1/quota`, { headers: { authorization: `Bearer ${key}` } });
          expect(res.status).toBe(200);
        }
        const quota = (await (await fetch(`${again.url}/v1/quota`, { headers: guest })).json()) as {
          used_today: number;
        };
        expect(quota.used_today).toBeGreaterThanOrEqual(Math.max(usedBefore, answered.length));
        usedBefore = quota.used_today;
      } finally {
        again.child.kill("SIGKILL");
      }
    }
    expect(answered.length).toBeGreaterThan(5);
  }, 240_000);
});
