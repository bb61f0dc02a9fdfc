import sharp from "sharp";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import { workerPool } from "../../runtime/worker-pool.js";
import type { Tool } from "../tool.js";
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

type Series = { name?: string; values: number[] };

/** The Vega-Lite spec of a simple chart given as labels and one or more series. */
function simpleSpec(args: Record<string, unknown>): Record<string, unknown> {
  const type = (args.type as string | undefined) ?? "bar";
  const labels = (args.labels as (string | number)[] | undefined) ?? [];
  const series = (args.series as Series[] | undefined) ?? [
    { values: (args.values as number[] | undefined) ?? [] },
  ];
  if (series.some((s) => labels.length > 0 && s.values.length !== labels.length)) {
    throw new ToolError("each series needs one value per label");
  }
  const values = series.flatMap((s, si) =>
    s.values.map((v, i) => ({ label: labels[i] ?? i + 1, value: v, series: s.name ?? `series ${si + 1}` })),
  );
  const many = series.length > 1;
  const title = args.title as string | undefined;
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

export const chart: Tool = {
  name: "chart",
  description:
    "Chart numbers as a PNG image: a bar, line, scatter or pie chart from labels and values (or several named series), or any Vega-Lite spec with inline data.",
  toolset: Toolset.VIZ,
  needs: ["none"],
  parameters: {
    type: "object",
    properties: {
      type: { type: "string", enum: ["bar", "line", "scatter", "pie"], description: "default bar" },
      labels: { type: "array", items: { type: ["string", "number"] }, maxItems: 10_000 },
      values: { type: "array", items: { type: "number" }, minItems: 1, maxItems: 10_000 },
      series: {
        type: "array",
        maxItems: 50,
        items: {
          type: "object",
          properties: {
            name: { type: "string" },
            values: { type: "array", items: { type: "number" }, minItems: 1 },
          },
          required: ["values"],
          additionalProperties: false,
        },
      },
      title: { type: "string", maxLength: 300 },
      x_title: { type: "string", maxLength: 200 },
      y_title: { type: "string", maxLength: 200 },
      spec: { type: "object", description: "A Vega-Lite spec with inline data (data.values); used as given" },
      width: {
        type: "integer",
        minimum: 100,
        maximum: 4000,
        description: "PNG width in pixels (default 800)",
      },
      height: {
        type: "integer",
        minimum: 100,
        maximum: 4000,
        description: "PNG height in pixels (default 500)",
      },
    },
    oneOf: [{ required: ["values"] }, { required: ["series"] }, { required: ["spec"] }],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const width = (args.width as number | undefined) ?? 800;
    const height = (args.height as number | undefined) ?? 500;
    const spec = (args.spec as Record<string, unknown> | undefined) ?? simpleSpec(args);
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
      summary: `drew a ${args.spec ? "Vega-Lite" : ((args.type as string | undefined) ?? "bar")} chart ${width}×${height} → ${meta.id}`,
      data: { image: meta.id, width, height },
      artifacts: [meta],
    };
  },
};
