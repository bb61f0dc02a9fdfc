/** A parsed `data:` URL: its declared media type and its bytes. */
export interface DataUrl {
  mediaType: string;
  data: Buffer;
}

const DATA_URL = /^data:([a-z]+\/[\w.+-]+)?((?:;[\w-]+=[^;,]*)*)(;base64)?,(.*)$/is;

/** Bytes as a base64 `data:` URL. */
export function toDataUrl(mediaType: string, data: Uint8Array): string {
  return `data:${mediaType};base64,${Buffer.from(data).toString("base64")}`;
}

/** The parts of a `data:` URL; undefined when it is not one or its percent-encoding is broken. */
export function parseDataUrl(url: string): DataUrl | undefined {
  const match = DATA_URL.exec(url);
  if (!match) return undefined;
  let data: Buffer;
  if (match[3]) data = Buffer.from(match[4] ?? "", "base64");
  else {
    try {
      data = Buffer.from(decodeURIComponent(match[4] ?? ""));
    } catch {
      return undefined;
    }
  }
  return { mediaType: (match[1] ?? "text/plain").toLowerCase(), data };
}
