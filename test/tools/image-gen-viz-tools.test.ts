import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { toolHarness } from "../support/tool-harness.js";

const h = toolHarness();
let photo: string;
const W = 400;
const H = 300;

/** A busy test picture: a gradient with stripes, so a blur visibly changes pixels. */
async function busyImage(): Promise<Buffer> {
  const stripes = Array.from(
    { length: 40 },
    (_, i) =>
      `<rect x="${i * 10}" y="0" width="5" height="${H}" fill="#${(i * 6).toString(16).padStart(2, "0")}2040"/>`,
  ).join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><defs><linearGradient id="g"><stop offset="0" stop-color="#ffcc00"/><stop offset="1" stop-color="#0066ff"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${stripes}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

async function pixels(id: string) {
  return sharp(h.bytes(id)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
}

/** Pixels that differ between two same-size images, split by whether they fall inside `box`. */
async function changes(a: string, b: string, box: [number, number, number, number]) {
  const [pa, pb] = [await pixels(a), await pixels(b)];
  const [x0, y0, x1, y1] = [box[0] * W, box[1] * H, (box[0] + box[2]) * W, (box[1] + box[3]) * H];
  let inside = 0;
  let outside = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const differs =
        pa.data[i] !== pb.data[i] || pa.data[i + 1] !== pb.data[i + 1] || pa.data[i + 2] !== pb.data[i + 2];
      if (!differs) continue;
      if (x >= x0 && x < x1 && y >= y0 && y < y1) inside++;
      else outside++;
    }
  }
  return { inside, outside };
}

beforeAll(async () => {
  photo = await h.put(await busyImage(), "image/png");
});

describe("image-gen tools", () => {
  it.each(["blur", "pixelate"])("blur_regions (%s) changes pixels only inside the boxes", async (effect) => {
    const box: [number, number, number, number] = [0.25, 0.2, 0.3, 0.4];
    const { data } = await h.run("blur_regions", { image: photo, boxes: [box], effect });
    const { inside, outside } = await changes(photo, (data as { image: string }).image, box);
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(0.3 * W * H * box[2] * box[3]);
  });

  it("annotate draws the boxes it was given and nothing far from them", async () => {
    const box: [number, number, number, number] = [0.1, 0.3, 0.5, 0.5];
    const { data } = await h.run("annotate", {
      image: photo,
      boxes: [{ xywh: box, label: "face 0.98", color: "#00ff00" }],
    });
    const out = (data as { image: string }).image;
    const near: [number, number, number, number] = [0.05, 0.15, 0.6, 0.7]; // the box, its stroke and its label
    const { inside, outside } = await changes(photo, out, near);
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(100);
    const { data: px } = await pixels(out);
    const at = (x: number, y: number) => [...px.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];
    expect(at(Math.round(0.3 * W), Math.round(0.3 * H))).toEqual([0, 255, 0]); // on the top edge
  });
});

describe("viz tools", () => {
  it("chart draws a bar chart PNG of the requested size with its bars in the data's proportions", async () => {
    const { data } = await h.run("chart", {
      type: "bar",
      labels: ["North", "South", "East"],
      values: [30, 60, 90],
      title: "Sales",
      width: 640,
      height: 400,
    });
    const id = (data as { image: string }).image;
    const meta = await sharp(h.bytes(id)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 640, 400]);
    // Column heights of the bar colour (Vega's default #4c78a8) grow 1 : 2 : 3.
    const { data: px, info } = await sharp(h.bytes(id))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const heights: number[] = [];
    let run = 0;
    let column = -1;
    for (let x = 0; x < info.width; x++) {
      let count = 0;
      for (let y = 0; y < info.height; y++) {
        const i = (y * info.width + x) * 3;
        if (
          Math.abs((px[i] ?? 0) - 0x4c) < 12 &&
          Math.abs((px[i + 1] ?? 0) - 0x78) < 12 &&
          Math.abs((px[i + 2] ?? 0) - 0xa8) < 12
        )
          count++;
      }
      if (count > 5 && column === -1) column = x;
      if (count > 5) run = Math.max(run, count);
      if (count <= 5 && column !== -1) {
        heights.push(run);
        column = -1;
        run = 0;
      }
    }
    expect(heights).toHaveLength(3);
    expect((heights[1] as number) / (heights[0] as number)).toBeCloseTo(2, 0);
    expect((heights[2] as number) / (heights[0] as number)).toBeCloseTo(3, 0);
  });

  it("chart takes a Vega-Lite spec with inline data and refuses one that names a URL", async () => {
    const spec = {
      data: {
        values: [
          { a: 1, b: 2 },
          { a: 2, b: 4 },
          { a: 3, b: 1 },
        ],
      },
      mark: "line",
      encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } },
    };
    const { data } = await h.run("chart", { spec, width: 300, height: 200 });
    expect((await sharp(h.bytes((data as { image: string }).image)).metadata()).width).toBe(300);
    await expect(
      h.run("chart", { spec: { ...spec, data: { url: "http://169.254.169.254/latest" } } }),
    ).rejects.toThrow(/spec\.data\.url: charts take inline data only/);
    await expect(h.run("chart", { spec: { mark: "nonsense-mark" } })).rejects.toThrow(/could not be drawn/);
  });

  it("overlay tints the mask's area and leaves the rest alone", async () => {
    const mask = await h.put(
      await sharp({ create: { width: W, height: H, channels: 3, background: "#000000" } })
        .composite([
          {
            input: { create: { width: 100, height: 100, channels: 3, background: "#ffffff" } },
            left: 0,
            top: 0,
          },
        ])
        .png()
        .toBuffer(),
      "image/png",
    );
    const { data } = await h.run("overlay", { image: photo, mask, opacity: 0.6 });
    const { inside, outside } = await changes(photo, (data as { image: string }).image, [
      0,
      0,
      100 / W,
      100 / H,
    ]);
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(9000);
  });
});

describe("more image tools", () => {
  it("flip mirrors and grayscale drops colour", async () => {
    const flipped = await h.run("flip", { image: photo });
    const a = await pixels(photo);
    const b = await pixels((flipped.data as { image: string }).image);
    expect([...b.data.subarray(0, 3)]).toEqual([...a.data.subarray((W - 1) * 3, W * 3)]);
    const grey = await h.run("grayscale", { image: photo });
    const stats = await sharp(h.bytes((grey.data as { image: string }).image)).stats();
    expect(stats.isOpaque).toBe(true);
    expect(stats.channels[0]?.mean).toBeCloseTo(stats.channels[1]?.mean ?? stats.channels[0]?.mean ?? 0, 0);
  });
});
