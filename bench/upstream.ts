// The bench's fake OpenAI upstream in its own process: prints its base URL, serves until killed.
import { startFakeUpstream } from "../test/support/fake-upstream.js";

const upstream = await startFakeUpstream();
process.stdout.write(`${upstream.url}\n`);
