import sharp, { type OverlayOptions } from "sharp";
import { boundedImage } from "../../media/image-pixels.js";

export type Xywh = [number, number, number, number];

/** A fraction as tools report it: clamped to 0–1, four decimals. */
export function fraction(n: number): number {
  return Math.round(Math.min(1, Math.max(0, n)) * 10_000) / 10_000;
}

/** A box in pixels of a width×height image → normalised [x, y, w, h]. */
export function normalisedBox(
  x: number,
  y: number,
  w: number,
  h: number,
  width: number,
  height: number,
): Xywh {
  return [fraction(x / width), fraction(y / height), fraction(w / width), fraction(h / height)];
}

export type RegionEffect = "fill" | "blur" | "pixelate";

/** A box in whole pixels, clipped to the image; undefined when nothing of it is inside. */
export function toPixels([x, y, w, h]: Xywh, width: number, height: number) {
  const left = Math.max(0, Math.floor(x * width));
  const top = Math.max(0, Math.floor(y * height));
  const right = Math.min(width, Math.ceil((x + w) * width));
  const bottom = Math.min(height, Math.ceil((y + h) * height));
  if (right <= left || bottom <= top) return undefined;
  return { left, top, width: right - left, height: bottom - top };
}

/**
 * Applies an effect inside each box and leaves every other pixel as it was: a solid fill (true
 * redaction), a strong blur, or a pixelation (blocks of about 1/8 of the box's shorter side).
 */
export async function applyToRegions(bytes: Uint8Array, boxes: Xywh[], effect: RegionEffect) {
  const base = boundedImage(bytes).rotate();
  const { data, info } = await base.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: 4 as const };
  const overlays: OverlayOptions[] = [];
  for (const box of boxes) {
    const px = toPixels(box, info.width, info.height);
    if (!px) continue;
    let patch: Buffer;
    if (effect === "fill") {
      patch = await sharp({
        create: { width: px.width, height: px.height, channels: 4, background: "#000000ff" },
      })
        .png()
        .toBuffer();
    } else {
      const region = sharp(data, { raw }).extract(px);
      if (effect === "blur") {
        patch = await region
          .blur(Math.max(4, Math.min(px.width, px.height) / 4))
          .png()
          .toBuffer();
      } else {
        const block = Math.max(2, Math.round(Math.min(px.width, px.height) / 8));
        const small = await region
          .resize(Math.max(1, Math.round(px.width / block)), Math.max(1, Math.round(px.height / block)), {
            kernel: "nearest",
          })
          .png()
          .toBuffer();
        patch = await sharp(small).resize(px.width, px.height, { kernel: "nearest" }).png().toBuffer();
      }
    }
    overlays.push({ input: patch, left: px.left, top: px.top });
  }
  const out = await sharp(data, { raw }).composite(overlays).png().toBuffer({ resolveWithObject: true });
  return {
    png: new Uint8Array(out.data),
    width: out.info.width,
    height: out.info.height,
    applied: overlays.length,
  };
}
