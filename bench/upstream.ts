// The bench's fake OpenAI upstream in its own process: prints its base URL, serves until killed.
// BENCH_UPSTREAM_GAP_MS=5000 makes every streamed answer take six pieces that far apart (the
// 1,000-open-streams bench holds each stream for 30 s that way).
import { defaultScript, startFakeUpstream, streamText } from "../test/support/fake-upstream.js";

const gapMs = Number(process.env.BENCH_UPSTREAM_GAP_MS ?? 0);
const upstream = await startFakeUpstream(
  gapMs > 0
    ? (call, res) => {
        if (!call.body.stream) return defaultScript(call, res);
        void streamText(call, res, ["One ", "piece ", "at ", "a ", "time", "."], undefined, gapMs);
      }
    : defaultScript,
);
// A bench runs for minutes: the recorded calls are not needed.
setInterval(() => upstream.calls.splice(0), 1_000).unref();
process.stdout.write(`${upstream.url}\n`);
