import { ToolError } from "../errors.js";
import type { ToolContext } from "./tool.js";

/** The id an artifact argument names: "img_ab12cd", or Orion's {"id": "img_ab12cd"} form. */
export function refId(ref: unknown): string {
  return typeof ref === "string" ? ref : (ref as { id: string }).id;
}

/** The stored artifact an argument names, undecoded; a ToolError the model can act on when there is none. */
export async function artifactArg(ref: unknown, ctx: ToolContext, noun: "image" | "video" | "file") {
  const id = refId(ref);
  const found = await ctx.artifacts.get(id);
  if (!found) throw new ToolError(`no ${noun} ${id} in this session`);
  return { id, ...found };
}
