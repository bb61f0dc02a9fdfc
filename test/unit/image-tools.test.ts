import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { declaredSizePng } from "../support/images.js";
import { toolHarness } from "../support/tool-harness.js";

const { stored, ctx, registry } = toolHarness();
/** Executes directly (no schema check first): these tests also feed arguments the schema would stop. */
async function run(name: string, args: Record<string, unknown>) {
  const tool = registry.get(name);
  if (!tool) throw new Error(`no tool ${name}`);
  const checked = tool.check(args);
  if (!checked.ok) throw new Error(checked.problems.join("; "));
  return tool.execute(checked.input, ctx);
}
let source: string;

beforeAll(async () => {
  // 300×200: a green top half over a white bottom half.
  const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#ffffff" } })
    .composite([
      { input: { create: { width: 300, height: 100, channels: 3, background: "#00ff00" } }, left: 0, top: 0 },
    ])
    .removeAlpha()
    .png()
    .toBuffer();
  source = (await ctx.artifacts.put(new Uint8Array(png), "image/png")).id;
});

async function sizeOf(id: string) {
  const meta = await sharp(stored.get(id)?.data).metadata();
  return [meta.width, meta.height];
}

describe("image tools on a generated image", () => {
  it("image_info reports the real size and format", async () => {
    const result = await run("image_info", { image: { id: source } });
    expect(result.data).toMatchObject({ width: 300, height: 200, format: "png", channels: 3 });
  });

  it("resize and rotate produce new images of the right size", async () => {
    const resized = await run("resize", { image: source, width: 150 });
    expect(await sizeOf((resized.data as { image: string }).image)).toEqual([150, 100]); // aspect kept
    const exact = await run("resize", { image: source, width: 90, height: 90 });
    expect(await sizeOf((exact.data as { image: string }).image)).toEqual([90, 90]);
    const rotated = await run("rotate", { image: source, degrees: 90 });
    expect(await sizeOf((rotated.data as { image: string }).image)).toEqual([200, 300]);
  });

  it("dominant_colors finds the two halves", async () => {
    const result = await run("dominant_colors", { image: source, count: 2 });
    expect((result.data as { colors: { hex: string; share: number }[] }).colors).toEqual([
      { hex: "#00ff00", share: 0.5 },
      { hex: "#ffffff", share: 0.5 },
    ]);
  });

  it("tells the model an image over the pixel cap is too large, naming its size and the cap", async () => {
    const huge = (await ctx.artifacts.put(new Uint8Array(declaredSizePng(20_000, 20_000)), "image/png")).id;
    await expect(run("image_info", { image: huge })).rejects.toThrow(
      `${huge}: the image is 20000×20000 (400000000 pixels), over the cap of 100000000 pixels`,
    );
  });

  it("crop refuses a box outside the image, and the schema catches bad arguments first", async () => {
    await expect(run("crop", { image: source, xywh: [0.8, 0, 0.5, 1] })).rejects.toThrow(/does not fit/);
    expect(registry.check("crop", { image: source, xywh: [0, 0, 2, 1] })).toEqual(["/xywh/2 must be <= 1"]);
    expect(registry.check("crop", { image: "cat.png", xywh: [0, 0, 1, 1] }).length).toBeGreaterThan(0);
  });
});

describe("core tools", () => {
  it("load_url stores the bytes with their declared type", async () => {
    const result = await run("load_url", {
      url: `data:text/plain;base64,${Buffer.from("hello").toString("base64")}`,
    });
    const id = (result.data as { id: string }).id;
    expect(stored.get(id)?.meta.contentType).toBe("text/plain");
    expect(Buffer.from(stored.get(id)?.data ?? []).toString()).toBe("hello");
    expect(registry.check("load_url", { url: "file:///etc/passwd" })).toEqual([
      '/url must match pattern "^(data:|https?://)"',
    ]);
  });

  it("read_text refuses a file that is not text", async () => {
    const png = await ctx.artifacts.put(new Uint8Array([137, 80, 78, 71]), "image/png");
    const doc = `doc_${png.id.slice(4)}`;
    stored.set(doc, { meta: { ...png, id: doc }, data: new Uint8Array([137, 80, 78, 71]) });
    await expect(run("read_text", { file: doc })).rejects.toThrow(/image\/png, not a text file/);
  });
});
