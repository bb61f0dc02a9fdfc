import { type Store, StoreUnavailable } from "../../src/store/store.js";

/**
 * A Store (our own port) around a real one whose calls reject with StoreUnavailable while `down`
 * is set (only the calls named in `only`, when it is given): what a Redis that stopped answering
 * looks like to the code above the store.
 */
export function failingStore(inner: Store): {
  store: Store;
  state: { down: boolean; only?: (keyof Store)[] };
} {
  const state: { down: boolean; only?: (keyof Store)[] } = { down: false };
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const fails = () => state.down && (!state.only || state.only.includes(property as keyof Store));
      return (...args: unknown[]) =>
        fails()
          ? Promise.reject(new StoreUnavailable(new Error("connection refused")))
          : value.apply(target, args);
    },
  });
  return { store, state };
}
