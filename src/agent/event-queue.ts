/**
 * Items produced by callbacks while a promise runs, consumed as an async iterable that ends when
 * the promise settles (its rejection is rethrown after the items queued before it).
 */
export async function* drainWhile<T>(
  work: Promise<unknown>,
  queue: T[],
  wake: { notify: () => void },
): AsyncGenerator<T> {
  let settled = false;
  let failure: unknown;
  let signal!: () => void;
  const arm = () =>
    new Promise<void>((resolve) => {
      signal = resolve;
    });
  let next = arm();
  wake.notify = () => signal();
  work.then(
    () => {
      settled = true;
      signal();
    },
    (error: unknown) => {
      settled = true;
      failure = error;
      signal();
    },
  );
  for (;;) {
    while (queue.length > 0) yield queue.shift() as T;
    if (settled) break;
    await next;
    next = arm();
  }
  while (queue.length > 0) yield queue.shift() as T;
  if (failure !== undefined) throw failure;
}
