import sharp from "sharp";
import { toDataUrl } from "../media/data-url.js";
import { firstFrame } from "../media/ffmpeg.js";
import type { ArtifactMeta } from "./artifacts.js";

const EDGE = 256;

/** The still a preview is made from: the image itself, or a video's first frame (no ffmpeg → none). */
async function still(meta: ArtifactMeta, data: Uint8Array): Promise<Uint8Array | undefined> {
  if (meta.contentType.startsWith("image/")) return data;
  if (!meta.contentType.startsWith("video/")) return undefined;
  return firstFrame(data, AbortSignal.timeout(10_000)).catch(() => undefined);
}

/** Small renditions of image and video artifacts (longest edge 256 px, WebP) as data: URLs. */
export async function previewsOf(
  produced: ArtifactMeta[],
  read: (id: string) => Promise<{ data: Uint8Array } | undefined>,
): Promise<{ objectId: string; contentType: string; dataUrl: string }[]> {
  const previews = [];
  for (const meta of produced) {
    if (!meta.contentType.startsWith("image/") && !meta.contentType.startsWith("video/")) continue;
    const found = await read(meta.id);
    if (!found) continue;
    const picture = await still(meta, found.data);
    if (!picture) continue;
    const small = await sharp(picture)
      .resize(EDGE, EDGE, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 70 })
      .toBuffer()
      .catch(() => undefined);
    if (!small) continue; // an unreadable file has no preview; the artifact itself is still there
    previews.push({
      objectId: meta.id,
      contentType: "image/webp",
      dataUrl: toDataUrl("image/webp", small),
    });
  }
  return previews;
}
