import { readFileSync } from "node:fs";
import net from "node:net";

/** A streamed chat whose client reads nothing: the socket is paused from the start and never read. */
export function stalledStream(url: string, content = "tell me everything"): net.Socket {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ messages: [{ role: "user", content }], stream: true });
  const socket = net.connect(Number(port), hostname);
  socket.pause();
  socket.on("error", () => {});
  socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  return socket;
}

/** A process's resident memory in MiB, from /proc. */
export function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
}
