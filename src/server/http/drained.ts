import type { Writable } from "node:stream";

/**
 * Resolves once `w` can take more (drain), or has closed, or has taken nothing for `stallMs`: then
 * `onStall` runs and `w` is destroyed. Its listeners and timer go as soon as it settles, so a long
 * response that fills its socket many times leaves nothing behind per wait.
 */
export function drained(w: Writable, stallMs: number, onStall?: () => void): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      clearTimeout(timer);
      w.off("drain", settle);
      w.off("close", settle);
      resolve();
    };
    const timer = setTimeout(() => {
      onStall?.();
      w.destroy();
      settle();
    }, stallMs);
    w.on("drain", settle);
    w.on("close", settle);
  });
}
