import { z } from "zod";

/** Argument pieces shared by many tools: defined once, so every tool shows and checks them alike. */

const artifactId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-f]{6}`));

const IMAGE_ID = artifactId("img");

/** An image argument: "img_ab12cd" or Orion's {"id": "img_ab12cd"} form; the tool receives the id. */
export const imageRef = (description = 'An image artifact id, e.g. "img_a1b2c3", or {"id": "img_a1b2c3"}') =>
  z
    .union([IMAGE_ID, z.strictObject({ id: IMAGE_ID })])
    .transform((ref) => (typeof ref === "string" ? ref : ref.id))
    .describe(description);

/** A bare image id (a mask given to a provider, for example). */
export const imageId = (description: string) => IMAGE_ID.describe(description);

/** A document argument: "doc_ab12cd" (a PDF, DOCX or other file the user attached). */
export const fileRef = (description = 'A document artifact id, e.g. "doc_a1b2c3"') =>
  artifactId("doc").describe(description);

export const videoRef = (description = 'A video artifact id, e.g. "vid_a1b2c3"') =>
  artifactId("vid").describe(description);

/** A 1-based page number. */
export const page = (description = "1-based page number (default 1)") =>
  z.number().int().min(1).max(100_000).describe(description);

/** `n` normalised coordinates: [x, y] is 2, [x, y, w, h] is 4. */
export const unitCoordinates = <N extends 2 | 4>(n: N) =>
  z
    .array(z.number().min(0).max(1))
    .length(n)
    .transform((xs) => xs as N extends 4 ? [number, number, number, number] : [number, number]);

/** A list of regions: normalised [x, y, w, h] boxes, top-left origin. */
export const boxes = (
  description = "Regions as normalised [x, y, w, h] (0–1 of the width and height, from the top-left)",
) => z.array(unitCoordinates(4)).min(1).max(500).describe(description);

const color = z.string().regex(/^#[0-9a-fA-F]{6}$/);

/** What a drawn box or point may carry besides its coordinates. */
const labelAndColor = { label: z.string().max(200).optional(), color: color.optional() };

/** Up to 500 boxes, normalised [x, y, w, h], each with an optional label and colour. */
export const labelledBoxes = () =>
  z.array(z.strictObject({ xywh: unitCoordinates(4), ...labelAndColor })).max(500);

/** Up to 500 points, normalised [x, y], each with an optional label and colour. */
export const labelledPoints = () =>
  z.array(z.strictObject({ xy: unitCoordinates(2), ...labelAndColor })).max(500);

/** A colour as "#rrggbb". */
export const hexColor = (description: string) => color.describe(description);

/** "image" or "file" (+ "page"): the arguments of tools that read a picture or a PDF page. */
export const pictureOrPage = () => ({
  image: imageRef().optional(),
  file: fileRef("A PDF artifact id; its page is rendered and read").optional(),
  page: page().optional(),
});
