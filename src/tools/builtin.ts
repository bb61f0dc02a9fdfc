import { imageInfo } from "./core/image-info.js";
import { loadDataUrl } from "./core/load-data-url.js";
import { readText } from "./core/read-text.js";
import { crop } from "./image/crop.js";
import { dominantColors } from "./image/dominant-colors.js";
import { resize } from "./image/resize.js";
import { rotate } from "./image/rotate.js";
import { ToolRegistry } from "./registry.js";

/** The server tools that need no provider: one file per tool, listed here. */
export function builtinTools(): ToolRegistry {
  return new ToolRegistry().register(imageInfo, loadDataUrl, readText, crop, resize, rotate, dominantColors);
}
