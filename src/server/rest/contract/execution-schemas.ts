import { z } from "zod";
import { AgentEventJson, artifactRef } from "./response-schemas.js";

/** An execution as REST sends it (the hosted `AgentExecutionResponse`, plus this server's fields). */
export const ExecutionJson = z.object({
  id: z.string(),
  name: z.string().nullable(),
  status: z.enum(["pending", "running", "completed", "failed", "cancelled"]),
  created_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  response: z
    .unknown()
    .describe("The answer: the json_schema object, or {text, artifacts}; null until completed"),
  usage: z.object({
    steps: z.number().int(),
    duration_seconds: z.number(),
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
    credits_used: z.null(),
    elements_processed: z.null(),
    element_type: z.null(),
    message: z.null(),
  }),
  error: z.string().nullable(),
  artifacts: z.array(artifactRef),
  model: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  attempts: z.number().int(),
});
export type ExecutionJson = z.output<typeof ExecutionJson>;

export const ExecutionListJson = z.array(ExecutionJson);

/** One event of an execution's log: the `data:` of its SSE event (its `id:` is `sequence`). */
export const ExecutionEventJson = z.object({
  sequence: z.number().int(),
  type: z.string(),
  time: z.string().nullable(),
  agent_event: AgentEventJson.optional(),
  text: z.string().optional(),
  execution: ExecutionJson.optional(),
});
export type ExecutionEventJson = z.output<typeof ExecutionEventJson>;
