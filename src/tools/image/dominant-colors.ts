import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { imageRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadImage } from "./image-input.js";

const hex = (n: number) => n.toString(16).padStart(2, "0");

export const dominantColors = defineTool({
  name: "dominant_colors",
  description: "The most common colours of an image, as hex values with their share of the pixels.",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  input: { image: imageRef(), count: z.number().int().min(1).max(10).default(5) },
  async execute(input, ctx) {
    const { id, image } = await loadImage(input.image, ctx);
    // A 64×64 nearest-neighbour sample (no blended colours that are not in the image), each channel quantised to 32 levels, then the largest buckets by count.
    const { data, info } = await image
      .removeAlpha()
      .resize(64, 64, { fit: "fill", kernel: "nearest" })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const buckets = new Map<number, { n: number; r: number; g: number; b: number }>();
    for (let i = 0; i < data.length; i += info.channels) {
      const r = data[i] as number;
      const g = data[i + 1] as number;
      const b = data[i + 2] as number;
      const key = ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3);
      const bucket = buckets.get(key) ?? { n: 0, r: 0, g: 0, b: 0 };
      bucket.n++;
      bucket.r += r;
      bucket.g += g;
      bucket.b += b;
      buckets.set(key, bucket);
    }
    const total = data.length / info.channels;
    const colors = [...buckets.values()]
      .sort((a, b) => b.n - a.n)
      .slice(0, input.count)
      .map((c) => ({
        hex: `#${hex(Math.round(c.r / c.n))}${hex(Math.round(c.g / c.n))}${hex(Math.round(c.b / c.n))}`,
        share: Math.round((c.n / total) * 1000) / 1000,
      }));
    return {
      summary: `dominant colours of ${id}: ${colors.map((c) => `${c.hex} ${Math.round(c.share * 100)}%`).join(", ")}`,
      data: { image: id, colors },
      artifacts: [],
    };
  },
});
