import { imageInfo } from "./core/image-info.js";
import { crop } from "./image/crop.js";
import { dominantColors } from "./image/dominant-colors.js";
import { resize } from "./image/resize.js";
import { rotate } from "./image/rotate.js";
import { ToolRegistry } from "./registry.js";

/** The server tools that need no provider: one file per tool, listed here. */
export function builtinTools(): ToolRegistry {
  return new ToolRegistry().register(imageInfo, crop, resize, rotate, dominantColors);
}
