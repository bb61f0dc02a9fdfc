import type { Exchange } from "./exchange.js";

/** One concern of request handling: do its part, then call `next` (or answer and stop). */
export type Middleware = (x: Exchange, next: () => Promise<void>) => Promise<void> | void;

/** Runs middleware in order, each wrapping the rest (Hono's and Koa's compose). */
export function compose(middleware: readonly Middleware[]): (x: Exchange) => Promise<void> {
  return (x) => {
    const run = async (i: number): Promise<void> => {
      const current = middleware[i];
      if (current) await current(x, () => run(i + 1));
    };
    return run(0);
  };
}
