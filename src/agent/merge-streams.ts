/** Interleaves several async iterables as their items arrive; ends when all have ended. */
export async function* mergeStreams<T>(sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number) =>
    pending.set(
      i,
      (iterators[i] as AsyncIterator<T>).next().then((r) => ({ i, r })),
    );
  iterators.forEach((_, i) => {
    pull(i);
  });
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) pending.delete(i);
      else {
        pull(i);
        yield r.value;
      }
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return?.()));
  }
}
