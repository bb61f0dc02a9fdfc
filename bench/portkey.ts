// Portkey's open-source AI gateway as a reference in bench/chat.ts, from a build outside the
// project (PORTKEY_DIR; never vendored): its Node server in front of the bench's fake upstream.
import { freePort } from "../test/support/redis.js";
import { mixedChatLoad, type ServerCase, startPolled } from "./support.js";

const WARM_UP_SECONDS = 15;

/**
 * Starts `build/start-server.js` of the gateway built in `dir` on a free port, once it answers
 * `GET /`, warms it up, and returns its chat route with the headers that send a request to
 * `upstreamUrl`.
 */
export async function startPortkey(dir: string, upstreamUrl: string): Promise<ServerCase> {
  const port = await freePort();
  // It listens on every interface; the bench only calls it on loopback.
  const { url, pid } = await startPolled(
    port,
    ["build/start-server.js", "--headless", `--port=${port}`],
    // Past start-up it logs every stream a client leaves (as autocannon's do when a run ends).
    { cwd: dir, quietOnceReady: true },
    async (base) => (await (await fetch(base)).text()).includes("AI Gateway says hey!"),
  );
  const portkey: ServerCase = {
    name: "portkey",
    url: `${url}/v1/chat/completions`,
    pid,
    who: {
      "x-portkey-provider": "openai",
      // The upstream's base URL, ending in /v1: Portkey appends /chat/completions.
      "x-portkey-custom-host": upstreamUrl,
      authorization: "Bearer sk-fake",
    },
  };
  // Its first seconds of requests run at a third to a quarter of its later req/s.
  await mixedChatLoad(portkey, { connections: 10, duration: WARM_UP_SECONDS });
  return portkey;
}
