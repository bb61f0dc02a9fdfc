import { type Store, StoreUnavailable } from "../../src/store/store.js";

/**
 * A Store (our own port) around a real one whose every call rejects with StoreUnavailable while
 * `down` is set: what a Redis that stopped answering looks like to the code above the store.
 */
export function failingStore(inner: Store): { store: Store; state: { down: boolean } } {
  const state = { down: false };
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) =>
        state.down
          ? Promise.reject(new StoreUnavailable(new Error("connection refused")))
          : value.apply(target, args);
    },
  });
  return { store, state };
}
