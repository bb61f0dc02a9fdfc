import sharp from "sharp";
import type { ArtifactMeta } from "./artifacts.js";

const EDGE = 256;

/** Small renditions of image artifacts (longest edge 256 px, WebP) as data: URLs. */
export async function previewsOf(
  produced: ArtifactMeta[],
  read: (id: string) => Promise<{ data: Uint8Array } | undefined>,
): Promise<{ objectId: string; contentType: string; dataUrl: string }[]> {
  const previews = [];
  for (const meta of produced) {
    if (!meta.contentType.startsWith("image/")) continue;
    const found = await read(meta.id);
    if (!found) continue;
    const small = await sharp(found.data)
      .resize(EDGE, EDGE, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 70 })
      .toBuffer();
    previews.push({
      objectId: meta.id,
      contentType: "image/webp",
      dataUrl: `data:image/webp;base64,${small.toString("base64")}`,
    });
  }
  return previews;
}
