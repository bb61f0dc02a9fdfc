import type { Exchange } from "./exchange.js";

/** One concern of request handling: do its part, then call `next` (or answer and stop). */
export type Middleware = (x: Exchange, next: () => Promise<void>) => Promise<void> | void;

const DONE = Promise.resolve();

/**
 * Runs middleware in order, each wrapping the rest (Hono's and Koa's compose). Each step's own
 * promise is passed along, not awaited: an `await` per step would keep a suspended frame and a
 * promise per step alive for as long as a request runs (a stream's whole life) and cost microtask
 * turns on every request. A step that throws instead of rejecting still gives a rejected promise.
 */
export function compose(middleware: readonly Middleware[]): (x: Exchange) => Promise<void> {
  return (x) => {
    const run = (i: number): Promise<void> => {
      const current = middleware[i];
      if (!current) return DONE;
      try {
        return current(x, () => run(i + 1)) ?? DONE;
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return run(0);
  };
}
