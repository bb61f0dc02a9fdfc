// bench/chat.ts's memory phase: does each Orion server give memory back after a load? Its RSS
// 30 s after a 20-second load (plain and streaming chats at 50 connections) against its idle RSS
// right after start-up; the target is within 1.5× of idle.
import { mixedChatLoad, rssMiB, type ServerCase } from "./support.js";

const LOAD_SECONDS = 20;
const SETTLE_SECONDS = 30;
const CONNECTIONS = 50;
const TARGET = 1.5;

/**
 * Records each server process's idle RSS (after one warm-up request), then per case loads it for
 * 20 s, waits 30 s and prints the RSS at both moments against idle. Cases that share a process
 * are loaded one after the other and all compared with that process's idle RSS from start-up.
 */
export async function measureMemoryReturn(cases: ServerCase[]): Promise<void> {
  const idle = new Map<number, number>();
  for (const c of cases) {
    if (idle.has(c.pid)) continue;
    await mixedChatLoad(c, { connections: 1, amount: 1 });
    idle.set(c.pid, rssMiB(c.pid));
  }
  console.log(
    `\n## memory return: ${LOAD_SECONDS} s of plain and streaming chats at ${CONNECTIONS} connections, then ${SETTLE_SECONDS} s idle`,
  );
  console.log(
    `case            | requests | errors | idle RSS MiB | end of load MiB | ${SETTLE_SECONDS} s later MiB | ÷ idle | target ≤ ${TARGET}×`,
  );
  for (const c of cases) {
    const result = await mixedChatLoad(c, { connections: CONNECTIONS, duration: LOAD_SECONDS });
    const atEnd = rssMiB(c.pid);
    await new Promise((r) => setTimeout(r, SETTLE_SECONDS * 1000));
    const later = rssMiB(c.pid);
    const before = idle.get(c.pid) ?? later;
    const ratio = later / before;
    console.log(
      [
        c.name.padEnd(15),
        String(result.requests.total).padStart(8),
        String(result.errors + result.timeouts + result.non2xx).padStart(6),
        before.toFixed(0).padStart(12),
        atEnd.toFixed(0).padStart(15),
        later.toFixed(0).padStart(14),
        `${ratio.toFixed(2)}×`.padStart(6),
        ratio <= TARGET ? "met" : "MISSED",
      ].join(" | "),
    );
  }
}
