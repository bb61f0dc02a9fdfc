import sharp from "sharp";

/** Longest side fed to the detectors: their networks work at 192–512 px, larger only costs time. */
const MAX_SIDE = 1024;

/**
 * An image as the detectors take it: upright (EXIF), at most 1024 px on its longest side, RGB
 * bytes row by row. `width`/`height` are of these pixels; boxes found in them are normalised by them.
 */
export async function rgbPixels(bytes: Uint8Array) {
  const { data, info } = await sharp(bytes)
    .rotate()
    .resize(MAX_SIDE, MAX_SIDE, { fit: "inside", withoutEnlargement: true })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}
