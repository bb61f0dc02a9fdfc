import type { Store } from "../store/store.js";
import type { GuestSecretSource } from "./resolve-caller.js";

const KEY = "guest-secret";
const TEN_YEARS_MS = 10 * 365 * 86_400_000;

/** ORION_GUEST_SECRET when set, else one random secret shared by every instance through the store. */
export function guestSecretSource(store: Store, configured: string | undefined): GuestSecretSource {
  return {
    configured,
    async shared(candidate) {
      await store.putIfAbsent(KEY, candidate, TEN_YEARS_MS);
      return (await store.get(KEY)) ?? candidate;
    },
  };
}
