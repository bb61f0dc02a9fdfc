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

export function parseDataUrl(url: string): DataUrl | undefined {
  const match = DATA_URL.exec(url);
  if (!match) return undefined;
  const data = match[3]
    ? Buffer.from(match[4] ?? "", "base64")
    : Buffer.from(decodeURIComponent(match[4] ?? ""));
  return { mediaType: (match[1] ?? "text/plain").toLowerCase(), data };
}
