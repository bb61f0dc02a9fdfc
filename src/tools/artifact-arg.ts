import { ToolError } from "../errors.js";
import type { ToolContext } from "./tool.js";

/** The stored artifact an argument names, undecoded; a ToolError the model can act on when there is none. */
export async function artifactArg(id: string, ctx: ToolContext, noun: "image" | "video" | "file") {
  const found = await ctx.artifacts.get(id);
  if (!found) throw new ToolError(`no ${noun} ${id} in this session`);
  return { id, ...found };
}
