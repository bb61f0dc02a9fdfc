import type { FetchPolicy } from "../../src/config.js";

/** The default URL policy (no private targets), with small limits for tests. */
export const TEST_FETCH_POLICY: FetchPolicy = {
  allowPrivate: false,
  allowHosts: [],
  maxBytes: 1024 * 1024,
  timeoutMs: 2_000,
  maxRedirects: 3,
};
