import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export interface IdleMemoryOptions {
  /** Activity is sampled this often; a spell this long with at most `quietRequests` is quiet. */
  idleMs: number;
  /** Requests a quiet spell may still see (health probes, a scrape of /metrics). */
  quietRequests: number;
  /** Heap growth since the last collection (bytes) below which a quiet spell is not worth one. */
  minGrowthBytes: number;
}

export const DEFAULT_IDLE_MEMORY: IdleMemoryOptions = {
  idleMs: 5_000,
  quietRequests: 5,
  minGrowthBytes: 16 << 20,
};

/**
 * V8's full collection, as `--expose-gc` gives it, without requiring the flag on the command line
 * (an operator starting `node dist/src/main.js` gets it too). Undefined if the runtime refuses.
 */
function fullCollection(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === "function") return exposed;
  try {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  } catch {
    return undefined;
  }
}

/** What the heap holds (live and garbage) and what V8 has taken from the system for it. */
export interface HeapSize {
  used_heap_size: number;
  total_heap_size: number;
}

/**
 * Hands memory back once a burst of load is over. V8 keeps the heap it grew to under load until
 * its next major collection, and an idle server allocates too little to start one: RSS would stay
 * at its peak for as long as the server stays quiet. Even after a collection of its own near the
 * end of the load (the heap's use back down), V8 keeps the pages it had committed. When a spell of
 * `idleMs` saw at most `quietRequests` begin and the heap's use or its committed size grew by
 * `minGrowthBytes` since the last collection, one full collection runs (it takes a few tens of ms,
 * at a moment nothing is waiting; it gives the committed pages back too). Returns a function that
 * stops the sampling.
 */
export function collectWhenIdle(
  requestsBegun: () => number,
  options: IdleMemoryOptions = DEFAULT_IDLE_MEMORY,
  collect = fullCollection(),
  heap: () => HeapSize = getHeapStatistics,
): () => void {
  if (!collect) return () => {};
  let seen = requestsBegun();
  let afterLastCollection = heap();
  const timer = setInterval(() => {
    const now = requestsBegun();
    const quiet = now - seen <= options.quietRequests;
    seen = now;
    if (!quiet) return;
    const current = heap();
    const grown = Math.max(
      current.used_heap_size - afterLastCollection.used_heap_size,
      current.total_heap_size - afterLastCollection.total_heap_size,
    );
    if (grown < options.minGrowthBytes) return;
    collect();
    afterLastCollection = heap();
  }, options.idleMs);
  timer.unref();
  return () => clearInterval(timer);
}
