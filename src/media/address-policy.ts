import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;

const V4_IN_LAST_32_BITS = new Set(["ipv4Mapped", "rfc6145", "rfc6052"]);
/** RFC 8215 local-use NAT64 (64:ff9b:1::/48); ipaddr.js files it under unicast. */
const LOCAL_NAT64 = ipaddr.parseCIDR("64:ff9b:1::/48");

function v4(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * The IPv4 addresses an IPv6 address carries and would reach: IPv4-mapped and -translated,
 * IPv4-compatible (::/96), NAT64 (well-known and local-use), 6to4 (the relay's v4) and Teredo
 * (server, and the client's address stored inverted).
 */
function embeddedV4(address: ipaddr.IPv6): ipaddr.IPv4[] {
  const p = address.parts as number[];
  const last = () => v4(p[6] as number, p[7] as number);
  const range = address.range();
  if (V4_IN_LAST_32_BITS.has(range) || address.match(LOCAL_NAT64)) return [last()];
  if (p.slice(0, 6).every((part) => part === 0) && range !== "unspecified" && range !== "loopback")
    return [last()];
  if (range === "6to4") return [v4(p[1] as number, p[2] as number)];
  if (range === "teredo")
    return [v4(p[2] as number, p[3] as number), v4(~(p[6] as number) & 0xffff, ~(p[7] as number) & 0xffff)];
  return [];
}

/**
 * Whether an address is ordinary public unicast, by ipaddr.js's classification of both families
 * (loopback, private, link-local, CGNAT, multicast, reserved, documentation, benchmarking,
 * site-local, unique-local… all are not). An IPv6 address that embeds IPv4 is judged by the IPv4
 * it carries, so ::ffff:127.0.0.1 or 2002:7f00:1:: cannot reach loopback.
 */
function isPublic(address: Address): boolean {
  if (address.kind() === "ipv4") return address.range() === "unicast";
  const carried = embeddedV4(address as ipaddr.IPv6);
  if (carried.length > 0) return carried.every(isPublic);
  return address.range() === "unicast";
}

/** Addresses a server-side fetch must never reach unless allowed; anything not an IP is refused. */
export function isForbiddenAddress(address: string): boolean {
  if (isIP(address) === 0) return true;
  return !isPublic(ipaddr.parse(address));
}
