import sharp from "sharp";
import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import { workerPool } from "../../runtime/worker-pool.js";
import { defineTool } from "../tool.js";
import type * as ChartWorker from "./chart-worker.js";

const pool = workerPool<typeof ChartWorker>(import.meta.url, "chart-worker");

/** Any `url` in a spec (data, images, topojson) would be fetched by the loader: refused up front. */
function findUrl(value: unknown, path = "spec"): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = findUrl(v, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      if (key === "url" && typeof v === "string") return `${path}.url`;
      const found = findUrl(v, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

const chartInput = {
  type: z.enum(["bar", "line", "scatter", "pie"]).default("bar"),
  labels: z
    .array(z.union([z.string(), z.number()]))
    .max(10_000)
    .default([]),
  values: z.array(z.number()).min(1).max(10_000).optional(),
  series: z
    .array(z.strictObject({ name: z.string().optional(), values: z.array(z.number()).min(1) }))
    .max(50)
    .optional(),
  title: z.string().max(300).optional(),
  x_title: z.string().max(200).optional(),
  y_title: z.string().max(200).optional(),
  spec: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("A Vega-Lite spec with inline data (data.values); used as given"),
  width: z.number().int().min(100).max(4000).default(800).describe("PNG width in pixels"),
  height: z.number().int().min(100).max(4000).default(500).describe("PNG height in pixels"),
};

type ChartInput = z.output<z.ZodObject<typeof chartInput>>;

/** The Vega-Lite spec of a simple chart given as labels and one or more series. */
function simpleSpec(args: ChartInput): Record<string, unknown> {
  const { type, labels } = args;
  const series = args.series ?? [{ values: args.values ?? [] }];
  if (series.some((s) => labels.length > 0 && s.values.length !== labels.length)) {
    throw new ToolError("each series needs one value per label");
  }
  const values = series.flatMap((s, si) =>
    s.values.map((v, i) => ({ label: labels[i] ?? i + 1, value: v, series: s.name ?? `series ${si + 1}` })),
  );
  const many = series.length > 1;
  const { title } = args;
  const x = {
    field: "label",
    type: type === "scatter" || type === "line" ? "ordinal" : "nominal",
    title: args.x_title ?? null,
    sort: null,
  };
  const y = { field: "value", type: "quantitative", title: args.y_title ?? null };
  const color = many ? { field: "series", type: "nominal", title: null } : undefined;
  const base = { ...(title ? { title } : {}), data: { values } };
  if (type === "pie") {
    return {
      ...base,
      mark: { type: "arc", tooltip: false },
      encoding: {
        theta: { field: "value", type: "quantitative" },
        color: { field: "label", type: "nominal", title: null },
      },
    };
  }
  const mark = type === "scatter" ? "point" : type;
  return {
    ...base,
    mark: { type: mark, ...(type === "line" ? { point: true } : {}) },
    encoding: {
      x,
      y,
      ...(color ? { color } : {}),
      ...(many && type === "bar" ? { xOffset: { field: "series" } } : {}),
    },
  };
}

export const chart = defineTool({
  name: "chart",
  description:
    "Chart numbers as a PNG image: a bar, line, scatter or pie chart from labels and values (or several named series), or any Vega-Lite spec with inline data.",
  toolset: Toolset.VIZ,
  needs: ["none"],
  heavy: true,
  input: chartInput,
  oneOf: ["values", "series", "spec"],
  async execute(input, ctx) {
    const { width, height } = input;
    const spec = input.spec ?? simpleSpec(input);
    const url = findUrl(spec);
    if (url) throw new ToolError(`${url}: charts take inline data only (data.values), not URLs`);
    let svg: string;
    try {
      svg = (await pool.run("renderSvg", { spec, width, height }, ctx.signal)).svg;
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new ToolError(`the chart could not be drawn: ${(error as Error).message}`);
    }
    // Rendered at twice the density, then reduced: crisp text at exactly the requested size.
    const png = await sharp(Buffer.from(svg), { density: 144 })
      .resize(width, height, { fit: "contain", background: "#ffffff" })
      .flatten({ background: "#ffffff" })
      .png()
      .toBuffer();
    const meta = await ctx.artifacts.put(new Uint8Array(png), "image/png", "chart.png");
    return {
      summary: `drew a ${input.spec ? "Vega-Lite" : input.type} chart ${width}×${height} → ${meta.id}`,
      data: { image: meta.id, width, height },
      artifacts: [meta],
    };
  },
});
