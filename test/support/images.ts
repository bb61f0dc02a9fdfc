import sharp from "sharp";

/** A solid-colour PNG made in the test, as a data: URL. */
export async function pngDataUrl(width: number, height: number, background: string): Promise<string> {
  const png = await sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString("base64")}`;
}
