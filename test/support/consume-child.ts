// A separate process taking one counter `times` times in the data directory given, as fast as it
// can; prints how many it was allowed. For the store's cross-process exactness test.
import { SqliteStore } from "../../src/store/sqlite-store.js";

const [dir, key, limit, times] = process.argv.slice(2);
const store = new SqliteStore({
  dir: dir as string,
  busyTimeoutMs: 5_000,
  maxSessions: 1_000,
  maxSessionBytes: 1 << 30,
  maxArtifactBytes: 1 << 20,
});
const results = await Promise.all(
  Array.from({ length: Number(times) }, () =>
    store.consume(key as string, Number(limit), Date.now() + 60_000),
  ),
);
await store.close();
process.stdout.write(String(results.filter((r) => r.allowed).length));
