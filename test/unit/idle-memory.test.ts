import { getHeapStatistics } from "node:v8";
import { describe, expect, it } from "vitest";
import { collectWhenIdle } from "../../src/runtime/idle-memory.js";

const used = () => getHeapStatistics().used_heap_size;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 48 MiB of large arrays, dropped at once: garbage that only a major collection frees. */
function garbage(): number {
  let kept: number[][] = [];
  for (let i = 0; i < 48; i++) kept.push(new Array(128 * 1024).fill(i));
  const size = kept.length;
  kept = [];
  return size + kept.length;
}

describe("collectWhenIdle", () => {
  it("runs a full collection once a burst is over, handing the heap back", async () => {
    let requests = 0;
    const stop = collectWhenIdle(() => requests, { idleMs: 50, quietRequests: 2, minGrowthBytes: 8 << 20 });
    requests += 100; // a busy spell
    garbage();
    const afterBurst = used();
    await sleep(1_000); // two samples are enough; a loaded machine may delay them
    expect(afterBurst - used()).toBeGreaterThan(24 << 20);
    stop();
  });

  it("leaves a busy server to V8's own collections, and collects when it goes quiet", async () => {
    let requests = 0;
    let collections = 0;
    let junk: number[] = [];
    const busy = setInterval(() => {
      requests += 10;
      junk = new Array(16 * 1024).fill(requests); // load makes garbage
    }, 5);
    const options = { idleMs: 50, quietRequests: 2, minGrowthBytes: 1 };
    const stop = collectWhenIdle(
      () => requests,
      options,
      () => {
        collections++;
      },
    );
    await sleep(300);
    expect(collections).toBe(0);
    clearInterval(busy);
    await sleep(1_000);
    expect(collections).toBeGreaterThan(0);
    stop();
    expect(junk.length).toBe(16 * 1024);
  });

  it("collects when V8 kept the pages it committed under load, though their use is back down", async () => {
    let collections = 0;
    const MiB = 1 << 20;
    let committed = 80 * MiB;
    const stop = collectWhenIdle(
      () => 0,
      { idleMs: 50, quietRequests: 2, minGrowthBytes: 16 * MiB },
      () => {
        collections++;
        committed = 80 * MiB;
      },
      () => ({ used_heap_size: 30 * MiB, total_heap_size: committed }),
    );
    await sleep(300);
    expect(collections).toBe(0); // nothing grew
    committed = 140 * MiB; // a load came and went: V8's own collection freed the use, not the pages
    await sleep(1_000);
    expect(collections).toBe(1);
    stop();
  });
});
