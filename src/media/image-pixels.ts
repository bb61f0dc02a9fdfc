import sharp, { type Metadata } from "sharp";

/**
 * Largest image decoded, in pixels (width × height): 100 megapixels, about 400 MB as RGBA, and
 * every sharp pipeline over a caller's image is opened with it as `limitInputPixels`.
 */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** Why an image cannot be used: `type` as a 422's `type` says it ("too_large", "unreadable"). */
export class ImageRefused extends Error {
  constructor(
    message: string,
    readonly type: "too_large" | "unreadable",
  ) {
    super(message);
  }
}

/** A sharp pipeline over a caller's image, bounded by MAX_IMAGE_PIXELS. */
export const boundedImage = (bytes: Uint8Array) => sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS });

/**
 * An image's header, read without decoding its pixels (so even a 20000×20000 header costs
 * nothing); throws ImageRefused saying whether it is unreadable or over the pixel cap, and by how much.
 */
export async function imageMetadata(bytes: Uint8Array): Promise<Metadata> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageRefused(`not a readable image (${(error as Error).message})`, "unreadable");
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixels > MAX_IMAGE_PIXELS) {
    throw new ImageRefused(
      `the image is ${meta.width}×${meta.height} (${pixels} pixels), over the cap of ${MAX_IMAGE_PIXELS} pixels`,
      "too_large",
    );
  }
  return meta;
}
