import { BlockList, isIP } from "node:net";

/**
 * Addresses a server-side fetch must never reach unless allowed: loopback, private, link-local
 * (cloud metadata at 169.254.169.254 included), CGNAT, multicast, unspecified and reserved ranges,
 * for IPv4 and IPv6 (IPv4-mapped IPv6 is checked as the IPv4 address it carries).
 */
const forbidden = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  forbidden.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
] as const) {
  forbidden.addSubnet(net, prefix, "ipv6");
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), if it is one. */
function mappedV4(address: string): string | undefined {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match?.[1];
}

export function isForbiddenAddress(address: string): boolean {
  const v4 = mappedV4(address);
  if (v4) return forbidden.check(v4, "ipv4");
  const family = isIP(address);
  if (family === 4) return forbidden.check(address, "ipv4");
  if (family === 6) return forbidden.check(address, "ipv6");
  return true; // not an IP address at all: refuse
}
