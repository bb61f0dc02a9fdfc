import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ArtifactMeta } from "../../artifacts/artifacts.js";

/** Images up to this size come back inline (base64); larger ones, and every other file, as links. */
export const INLINE_IMAGE_BYTES = 2 * 1024 * 1024;
/** At most this many bytes of images inline in one result (the rest as links). */
const INLINE_TOTAL_BYTES = 8 * 1024 * 1024;

type Content = CallToolResult["content"][number];

export interface ProducedFiles {
  /** What the call made, in order. */
  produced: ArtifactMeta[];
  /** The bytes of one of them. */
  read(id: string): Promise<Uint8Array | undefined>;
  /** Where a client fetches it (the REST artifact URL, with the caller's key). */
  link(id: string): string;
}

/** An error result with the message (a tool's failure, bad arguments): never a protocol error. */
export function errorResult(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: message }] };
}

/**
 * A tool's or the agent's result as MCP content: the text first (the tool's summary and JSON data,
 * exactly what the agent's model reads), then each image it made inline, and a resource link for
 * each other or larger file.
 */
export async function resultContent(text: string, files: ProducedFiles): Promise<CallToolResult> {
  const content: Content[] = [{ type: "text", text }];
  let inlined = 0;
  for (const meta of files.produced) {
    const small = meta.size <= INLINE_IMAGE_BYTES && inlined + meta.size <= INLINE_TOTAL_BYTES;
    if (meta.contentType.startsWith("image/") && small) {
      const data = await files.read(meta.id);
      if (data) {
        inlined += data.byteLength;
        content.push({
          type: "image",
          data: Buffer.from(data).toString("base64"),
          mimeType: meta.contentType,
        });
        continue;
      }
    }
    content.push({
      type: "resource_link",
      uri: files.link(meta.id),
      name: meta.filename || meta.id,
      mimeType: meta.contentType,
      description: `${meta.id}, ${meta.size} bytes`,
    });
  }
  return { content };
}
