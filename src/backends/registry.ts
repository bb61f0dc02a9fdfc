import { type Config, VARIANTS, type Variant } from "../config.js";
import type { Backend } from "./backend.js";
import { LocalPlanner } from "./local-planner/local-planner.js";
import { OpenAICompatibleBackend } from "./openai-compatible/backend.js";

/**
 * Which backend serves each agent variant: its configured upstream, else the built-in local
 * planner. Variants with the same upstream share one backend.
 */
export class BackendRegistry {
  private readonly byVariant = new Map<Variant, Backend>();
  private readonly owned: OpenAICompatibleBackend[] = [];

  constructor(config: Config, observe?: (backend: string, outcome: string, seconds: number) => void) {
    const shared = new Map<string, OpenAICompatibleBackend>();
    for (const variant of VARIANTS) {
      const upstream = config.upstreams[variant];
      if (!upstream) continue;
      const key = [
        upstream.baseUrl,
        upstream.model,
        upstream.apiKey ?? "",
        upstream.toolsSetting,
        upstream.tools,
      ].join("\n");
      let backend = shared.get(key);
      if (!backend) {
        const description = `openai-compatible:${upstream.model}`;
        backend = new OpenAICompatibleBackend(upstream, {
          timeoutMs: config.upstreamTimeoutMs,
          maxSockets: config.upstreamMaxSockets,
          vision: config.upstreamVision,
          streamBufferBytes: config.streams.bufferBytes,
          observe: observe && ((outcome, seconds) => observe(description, outcome, seconds)),
        });
        shared.set(key, backend);
        this.owned.push(backend);
      }
      this.byVariant.set(variant, backend);
    }
  }

  private readonly local = new LocalPlanner();

  for(variant: Variant): Backend {
    return this.byVariant.get(variant) ?? this.local;
  }

  close(): void {
    for (const backend of this.owned) backend.close();
  }
}
