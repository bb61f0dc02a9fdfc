// Runs in a worker thread (see chart.ts): Vega's layout and SVG writing are synchronous JavaScript.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** A loader that loads nothing: chart data must be inline, so a spec can never make us fetch. */
const noNetwork = vega.loader();
noNetwork.load = async (uri: string) => {
  throw new Error(`charts take inline data only; refusing to load ${uri}`);
};

export async function renderSvg({
  spec,
  width,
  height,
}: {
  spec: Record<string, unknown>;
  width: number;
  height: number;
}) {
  const full = {
    ...spec,
    width,
    height,
    autosize: { type: "fit", contains: "padding" },
    background: spec.background ?? "#ffffff",
    config: { font: "DejaVu Sans", ...((spec.config as object | undefined) ?? {}) },
  } as TopLevelSpec;
  const compiled = compile(full).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", loader: noNetwork });
  try {
    return { svg: await view.toSVG() };
  } finally {
    view.finalize();
  }
}
