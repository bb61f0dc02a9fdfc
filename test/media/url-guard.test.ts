import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FetchPolicy } from "../../src/config.js";
import { isForbiddenAddress } from "../../src/media/address-policy.js";
import { FetchRefused, guardedFetch } from "../../src/media/guarded-fetch.js";

/** A local listener that counts the connections it receives. */
async function listener(host: string, handler: http.RequestListener) {
  const server = http.createServer(handler);
  let connections = 0;
  server.on("connection", () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

const policy = (overrides: Partial<FetchPolicy> = {}): FetchPolicy => ({
  allowPrivate: false,
  allowHosts: [],
  maxBytes: 1024,
  timeoutMs: 500,
  maxRedirects: 3,
  ...overrides,
});

async function refusal(url: string, p: FetchPolicy) {
  const error = await guardedFetch(url, p).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FetchRefused);
  return error as FetchRefused;
}

describe("the address policy", () => {
  it.each([
    "127.0.0.1",
    "127.9.9.9",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.1",
    "0.0.0.0",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "fe80::1",
    "fd00:ec2::254",
    "not-an-ip",
    // IPv6 forms that carry a forbidden IPv4 address, and other non-public IPv6 ranges.
    "::127.0.0.1",
    "::a00:1",
    "::ffff:0:7f00:1",
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a00:1",
    "2002:7f00:1::1",
    "2002:a00:1::",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
    "2001:0:7f00:1:8000:63bf:3fff:fdd2",
    "fec0::1",
    "2001:db8::1",
    "ff02::1",
    "::",
    "198.18.0.1",
    "192.0.2.1",
    "240.0.0.1",
    "255.255.255.255",
  ])("refuses %s", (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each([
    "8.8.8.8",
    "172.32.0.1",
    "1.1.1.1",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
  ])("allows %s", (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });
});

describe("guarded fetches", () => {
  let target: Awaited<ReturnType<typeof listener>>;
  let second: Awaited<ReturnType<typeof listener>>;
  /** Responses of /redirect-endless still being written: their clients never hung up. */
  const endless = new Set<http.ServerResponse>();
  beforeAll(async () => {
    target = await listener("127.0.0.1", (req, res) => {
      if (req.url === "/redirect") res.writeHead(302, { location: `http://127.0.0.2:${second.port}/` }).end();
      else if (req.url === "/redirect-endless") {
        // A redirect whose body never ends: the fetch follows the location and must hang up here.
        res.writeHead(302, { location: "/" });
        endless.add(res);
        const drip = setInterval(() => res.write("x".repeat(1024)), 20);
        res.on("close", () => {
          clearInterval(drip);
          endless.delete(res);
        });
      } else if (req.url === "/big") res.end(Buffer.alloc(5000));
      else if (req.url === "/big-chunked") {
        res.write(Buffer.alloc(800));
        res.end(Buffer.alloc(800));
      } else if (req.url === "/slow")
        res.write("partial"); // never ends
      else res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("hello");
    });
    second = await listener("127.0.0.2", (_req, res) => res.end("should never be reached"));
  });
  afterAll(async () => {
    await target.close();
    await second.close();
  });

  it("refuses loopback by address and by name, without connecting", async () => {
    expect((await refusal(`http://127.0.0.1:${target.port}/`, policy())).kind).toBe("address");
    expect((await refusal(`http://localhost:${target.port}/`, policy())).kind).toBe("address");
    expect((await refusal(`http://[::1]:${target.port}/`, policy())).kind).toBe("address");
    expect(target.connections()).toBe(0);
  });

  it.each([
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/",
  ])("refuses %s before any connection is attempted", async (url) => {
    const error = await refusal(url, policy());
    expect(error.kind).toBe("address");
    expect(error.message).toContain("private, loopback or link-local");
    // What an operator sets to allow it.
    expect(error.message).toContain(`ORION_URL_ALLOW_HOSTS=${new URL(url).host}`);
    expect(error.message).toContain("ORION_ALLOW_PRIVATE_URLS=true");
  });

  it("refuses other schemes", async () => {
    expect((await refusal("file:///etc/passwd", policy())).kind).toBe("scheme");
    expect((await refusal("ftp://example.com/x", policy())).kind).toBe("scheme");
  });

  it("fetches from an allowed host, and re-checks a redirect to a private address", async () => {
    const allow = policy({ allowHosts: [`127.0.0.1:${target.port}`] });
    const ok = await guardedFetch(`http://127.0.0.1:${target.port}/`, allow);
    expect([ok.contentType, ok.data.toString()]).toEqual(["text/plain", "hello"]);
    expect((await refusal(`http://127.0.0.1:${target.port}/redirect`, allow)).kind).toBe("address");
    expect(second.connections()).toBe(0);
  });

  it("hangs up on a redirect rather than reading its body, which may never end", async () => {
    const allow = policy({ allowHosts: [`127.0.0.1:${target.port}`] });
    const ok = await guardedFetch(`http://127.0.0.1:${target.port}/redirect-endless`, allow);
    expect(ok.data.toString()).toBe("hello");
    for (let i = 0; i < 50 && endless.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(endless.size).toBe(0);
  });

  it("caps the body, declared or streamed, and the time", async () => {
    const allow = policy({ allowHosts: [`127.0.0.1:${target.port}`] });
    expect((await refusal(`http://127.0.0.1:${target.port}/big`, allow)).kind).toBe("too_large");
    expect((await refusal(`http://127.0.0.1:${target.port}/big-chunked`, allow)).kind).toBe("too_large");
    expect((await refusal(`http://127.0.0.1:${target.port}/slow`, allow)).kind).toBe("timeout");
  });

  it("allows private targets when configured to", async () => {
    const ok = await guardedFetch(`http://127.0.0.1:${target.port}/`, policy({ allowPrivate: true }));
    expect(ok.data.toString()).toBe("hello");
  });
});
