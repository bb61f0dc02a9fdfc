import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { FetchPolicy } from "../config.js";
import { isForbiddenAddress } from "./address-policy.js";

export class FetchRefused extends Error {
  constructor(
    message: string,
    /** "scheme" | "address" | "too_large" | "timeout" | "status" | "network" | "redirects" */
    readonly kind: string,
  ) {
    super(message);
  }
}

export interface Fetched {
  url: string;
  contentType: string;
  data: Buffer;
}

/** The address a URL may be fetched from, resolved once and checked; throws FetchRefused otherwise. */
export async function checkUrl(
  raw: string,
  policy: FetchPolicy,
): Promise<{ url: URL; address: string; family: number }> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchRefused("not a valid URL", "scheme");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new FetchRefused("only http(s) URLs can be fetched", "scheme");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const allowed =
    policy.allowPrivate || policy.allowHosts.includes(host) || policy.allowHosts.includes(url.host);
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new FetchRefused(`the host ${host} does not resolve`, "network");
    }
  }
  const refused = addresses.find((a) => isForbiddenAddress(a.address));
  if (refused && !allowed) {
    throw new FetchRefused(
      `${host} resolves to ${refused.address}, a private, loopback or link-local address (the server's operator can allow it with ORION_URL_ALLOW_HOSTS=${url.host}, or every such address with ORION_ALLOW_PRIVATE_URLS=true)`,
      "address",
    );
  }
  const first = addresses[0];
  if (!first) throw new FetchRefused(`the host ${host} does not resolve`, "network");
  return { url, ...first };
}

/**
 * Fetches a URL for a tool or a content part: the host is resolved and checked first, and the
 * connection goes to exactly that address (no second lookup, so no DNS-rebinding window); every
 * redirect is checked again; the body is capped while it streams; the whole fetch has a deadline.
 */
export async function guardedFetch(raw: string, policy: FetchPolicy, signal?: AbortSignal): Promise<Fetched> {
  let current = raw;
  for (let hop = 0; hop <= policy.maxRedirects; hop++) {
    const { url, address, family } = await checkUrl(current, policy);
    const response = await once(url, address, family, policy, signal);
    if (response.redirect) {
      current = new URL(response.redirect, url).toString();
      continue;
    }
    return { url: url.toString(), contentType: response.contentType, data: response.data };
  }
  throw new FetchRefused(`more than ${policy.maxRedirects} redirects`, "redirects");
}

function once(url: URL, address: string, family: number, policy: FetchPolicy, signal?: AbortSignal) {
  return new Promise<{ redirect?: string; contentType: string; data: Buffer }>((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const req = client.request(url, {
      method: "GET",
      // Connect to the address we checked, whatever DNS would say now.
      lookup: (_host, _options, callback) => callback(null, address, family),
      headers: { "user-agent": "orion-server", accept: "*/*" },
      ...(signal ? { signal } : {}),
    });
    let settled = false;
    // Settle once, then tear the connection down without an error (an error passed to destroy()
    // after the response began would surface as an unhandled socket error).
    const finish = (error: unknown, value?: { redirect?: string; contentType: string; data: Buffer }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        reject(
          error instanceof FetchRefused
            ? error
            : new FetchRefused(`the fetch failed: ${(error as Error).message}`, "network"),
        );
        req.destroy();
      } else resolve(value as { contentType: string; data: Buffer });
    };
    const timer = setTimeout(
      () => finish(new FetchRefused(`no complete answer within ${policy.timeoutMs} ms`, "timeout")),
      policy.timeoutMs,
    );
    req.on("error", (error) => finish(error));
    req.on("response", (res) => {
      res.on("error", (error) => finish(error));
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        // Its body is not wanted and may never end: hang up rather than read it.
        req.destroy();
        finish(undefined, { redirect: res.headers.location, contentType: "", data: Buffer.alloc(0) });
        return;
      }
      if (status < 200 || status >= 300) {
        finish(new FetchRefused(`the server answered ${status}`, "status"));
        return;
      }
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > policy.maxBytes) {
        finish(new FetchRefused(`the body is larger than ${policy.maxBytes} bytes`, "too_large"));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > policy.maxBytes)
          finish(new FetchRefused(`the body is larger than ${policy.maxBytes} bytes`, "too_large"));
        else chunks.push(chunk);
      });
      res.on("end", () => {
        const contentType = String(res.headers["content-type"] ?? "application/octet-stream").split(
          ";",
        )[0] as string;
        finish(undefined, { contentType, data: Buffer.concat(chunks) });
      });
    });
    req.end();
  });
}
