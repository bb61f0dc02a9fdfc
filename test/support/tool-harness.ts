import { randomBytes } from "node:crypto";
import { type ArtifactMeta, prefixFor } from "../../src/artifacts/artifacts.js";
import { builtinTools } from "../../src/tools/builtin.js";
import type { ToolContext, ToolResult } from "../../src/tools/tool.js";
import { TEST_FETCH_POLICY } from "./fetch-policy.js";

/**
 * The built-in tools over an in-memory artifact store, called the way the agent calls them:
 * arguments checked (and defaults filled in) by the tool's schema first, then `execute`.
 * `pdfMaxPages` stands for ORION_PDF_MAX_PAGES.
 */
export function toolHarness(pdfMaxPages?: number) {
  const stored = new Map<string, { meta: ArtifactMeta; data: Uint8Array }>();
  const progress: string[] = [];
  const ctx: ToolContext = {
    signal: new AbortController().signal,
    progress: (message) => progress.push(message),
    artifacts: {
      scope: "harness|session",
      adopt: () => {},
      async put(data, contentType, filename = "") {
        const meta = {
          id: `${prefixFor(contentType)}_${randomBytes(3).toString("hex")}`,
          contentType,
          size: data.byteLength,
          filename,
          createdAt: Date.now(),
        };
        stored.set(meta.id, { meta, data });
        return meta;
      },
      async get(ref) {
        return stored.get(ref);
      },
    },
  };
  const registry = builtinTools(TEST_FETCH_POLICY, undefined, pdfMaxPages);
  return {
    ctx,
    stored,
    progress,
    registry,
    async put(data: Uint8Array | Buffer, contentType: string, filename?: string): Promise<string> {
      return (await ctx.artifacts.put(new Uint8Array(data), contentType, filename)).id;
    },
    bytes(id: string): Uint8Array {
      const found = stored.get(id);
      if (!found) throw new Error(`no artifact ${id}`);
      return found.data;
    },
    async run(name: string, args: Record<string, unknown>): Promise<ToolResult> {
      const tool = registry.get(name);
      if (!tool) throw new Error(`no tool ${name}`);
      const checked = tool.check(args);
      if (!checked.ok) throw new Error(`invalid arguments for ${name}: ${checked.problems.join("; ")}`);
      return tool.execute(checked.input, ctx);
    },
  };
}
