import type { JsonObject } from "@bufbuild/protobuf";
import type { ResponseFormat } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { ResponseFormatType } from "../../gen/vlmrun/agent/v1/enums_pb.js";

/** The JSON Schema a response_format asks for (both spellings), `{type: object}` for json_object. */
export function schemaOf(format: ResponseFormat | undefined): JsonObject | undefined {
  if (!format) return undefined;
  if (format.type === ResponseFormatType.JSON_OBJECT) return { type: "object" };
  if (format.type === ResponseFormatType.JSON_SCHEMA)
    return format.jsonSchema?.schema ?? format.schema ?? { type: "object" };
  return undefined;
}
