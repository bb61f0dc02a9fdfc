import net from "node:net";

/**
 * A raw h2c client that writes frames by hand, for what `node:http2` will not do: open streams
 * past the server's limit, or leave a header block unfinished.
 */
export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export const FrameType = { headers: 0x1, rstStream: 0x3, settings: 0x4, goaway: 0x7 } as const;
const END_HEADERS = 0x4;
export const REFUSED_STREAM = 0x7;

export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK literal without indexing, name by static-table index (< 15), value of < 128 bytes. */
function literal(nameIndex: number, value: string): Buffer {
  return Buffer.concat([Buffer.from([nameIndex, value.length]), Buffer.from(value)]);
}

/** POST /v1/openai/chat/completions with a JSON content type: a chat whose body never comes. */
export const CHAT_POST_BLOCK = Buffer.concat([
  Buffer.from([0x83, 0x86]), // :method POST, :scheme http
  literal(1, "x"), // :authority
  literal(4, "/v1/openai/chat/completions"), // :path
  Buffer.from([0x0f, 0x10, 16]), // content-type (static index 31) …
  Buffer.from("application/json"),
]);

/** Request HEADERS (END_HEADERS, no END_STREAM: the body is still to come) on `streamId`. */
export function openStream(streamId: number, block = CHAT_POST_BLOCK): Buffer {
  return frame(FrameType.headers, END_HEADERS, streamId, block);
}

/** The server's frames as they arrive: RST_STREAM codes counted, GOAWAY noted. */
export class FrameReader {
  rstCodes = new Map<number, number>();
  goaway = false;
  private pending: Buffer = Buffer.alloc(0);

  constructor(socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => this.push(chunk));
  }

  resets(code: number): number {
    return this.rstCodes.get(code) ?? 0;
  }

  private push(chunk: Buffer) {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 9) {
      const length = this.pending.readUIntBE(0, 3);
      if (this.pending.length < 9 + length) return;
      const type = this.pending.readUInt8(3);
      if (type === FrameType.rstStream) {
        const code = this.pending.readUInt32BE(9);
        this.rstCodes.set(code, this.resets(code) + 1);
      }
      if (type === FrameType.goaway) this.goaway = true;
      this.pending = this.pending.subarray(9 + length);
    }
  }
}

/** A raw connection that has sent the preface and an empty SETTINGS frame (never acknowledged). */
export function rawH2(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(Buffer.concat([PREFACE, frame(FrameType.settings, 0, 0)]));
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/**
 * Opens `streams` chat POSTs without a body on one raw connection, all at once, and resolves once
 * the server has refused all but `limit` of them, sent GOAWAY or closed, or `timeoutMs` have
 * passed; the socket is then destroyed. The SETTINGS are never acknowledged, so a server's limit
 * shows as REFUSED_STREAM (and nghttp2 ends a session after about 1,000 of those).
 */
export async function floodStreams(url: string, streams: number, limit: number, timeoutMs = 5_000) {
  const socket = await rawH2(url);
  socket.on("error", () => {});
  const reader = new FrameReader(socket);
  socket.write(Buffer.concat(Array.from({ length: streams }, (_, i) => openStream(2 * i + 1))));
  const started = performance.now();
  const done = () => reader.resets(REFUSED_STREAM) >= streams - limit || reader.goaway || socket.destroyed;
  while (!done()) {
    if (performance.now() - started > timeoutMs) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  socket.destroy();
  return { refused: reader.resets(REFUSED_STREAM), goaway: reader.goaway };
}
