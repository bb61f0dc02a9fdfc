import { type LookupAddress, lookup } from "node:dns";
import type { LookupFunction } from "node:net";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { Agent, fetch as undiciFetch } from "undici";
import type { FetchPolicy } from "../../config.js";
import { isForbiddenAddress } from "../../media/address-policy.js";
import { checkUrl } from "../../media/guarded-fetch.js";

/** Whether the policy lets this host (or host:port) reach private, loopback and link-local addresses. */
function allowedHost(policy: FetchPolicy, url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return policy.allowPrivate || policy.allowHosts.includes(host) || policy.allowHosts.includes(url.host);
}

/** A lookup that refuses forbidden addresses at connect time, so a name cannot rebind between check and connect. */
function guardedLookup(): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 0);
      const refused = addresses.find((a) => isForbiddenAddress(a.address));
      if (refused) {
        return callback(
          Object.assign(
            new Error(
              `${hostname} resolves to ${refused.address}, a private, loopback or link-local address`,
            ),
            {
              code: "EADDRNOTAVAIL",
            },
          ),
          "",
          0,
        );
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(
          Object.assign(new Error(`${hostname} does not resolve`), { code: "ENOTFOUND" }),
          "",
          0,
        );
      callback(null, first.address, first.family);
    });
  };
}

/**
 * The fetch the MCP client uses for an outside server: the URL guard applies (every request's host
 * is resolved and checked, private addresses only when ORION_ALLOW_PRIVATE_URLS or
 * ORION_URL_ALLOW_HOSTS allows them), and for hosts that are not allowed the connection re-checks
 * the addresses it connects to. No body timeout: a tool's result may stream for as long as the
 * tool timeout, which the caller's signal enforces. Redirects are refused.
 */
export function guardedMcpFetch(policy: FetchPolicy): { fetch: FetchLike; close(): Promise<void> } {
  const open = new Agent({ headersTimeout: policy.timeoutMs, bodyTimeout: 0 });
  const guarded = new Agent({
    headersTimeout: policy.timeoutMs,
    bodyTimeout: 0,
    connect: { lookup: guardedLookup() },
  });
  const fetch: FetchLike = async (input, init) => {
    const { url } = await checkUrl(String(input), policy);
    const dispatcher = allowedHost(policy, url) ? open : guarded;
    // A redirect would leave the checked host (an IP literal target is never looked up): refused.
    return (await undiciFetch(url, {
      ...(init as object),
      redirect: "error",
      dispatcher,
    })) as unknown as Response;
  };
  return { fetch, close: async () => void (await Promise.all([open.close(), guarded.close()])) };
}
