import type { ByteCap } from "../../service/caller-caps.js";
import { isJsonObject } from "../../wire/codecs/message-literals.js";
import { BodyTooLarge, readBody, refuseBody } from "./body.js";
import { simpleHttpError, validationHttpError } from "./http-error.js";
import { JSON_SHAPE_LIMITS, jsonShapeProblem } from "./json-shape.js";
import { sendHttpError } from "./respond.js";
import { headerOf, type NodeRequest, type NodeResponse } from "./types.js";

/**
 * A JSON object body within the caller's cap, or undefined once the 413/415/422 has been sent:
 * JSON content type, the byte cap while reading, the shape checked on the bytes before parsing.
 */
export async function readJsonObject(
  req: NodeRequest,
  res: NodeResponse,
  bodyCap: ByteCap,
): Promise<Record<string, unknown> | undefined> {
  const contentType = headerOf(req, "content-type");
  if (contentType !== undefined && !isJson(contentType)) {
    refuseBody(req, bodyCap.maxBytes);
    sendHttpError(
      res,
      simpleHttpError(
        415,
        "unsupported_media_type",
        `the request body must be application/json, not ${contentType.slice(0, 100)}`,
      ),
    );
    return undefined;
  }
  let raw: Buffer;
  try {
    raw = await readBody(req, bodyCap.maxBytes, bodyCap.source);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      sendHttpError(res, simpleHttpError(413, "request_too_large", error.message));
    }
    return undefined;
  }
  const shape = jsonShapeProblem(raw, JSON_SHAPE_LIMITS);
  if (shape) {
    sendHttpError(res, validationHttpError([{ loc: ["body"], msg: shape, type: "json_invalid" }]));
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch (error) {
    const msg = `JSON decode error: ${(error as Error).message}`;
    sendHttpError(res, validationHttpError([{ loc: ["body"], msg, type: "json_invalid" }]));
    return undefined;
  }
  if (!isJsonObject(json)) {
    sendHttpError(
      res,
      validationHttpError([{ loc: ["body"], msg: "Input should be a valid dictionary", type: "dict_type" }]),
    );
    return undefined;
  }
  return json;
}

/** `application/json` or a `+json` type, with any parameters (charset). */
function isJson(contentType: string): boolean {
  if (contentType === "application/json") return true; // what nearly every client sends
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || /^application\/[\w.-]+\+json$/.test(type);
}
