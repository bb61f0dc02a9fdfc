import type { Variant } from "../config.js";

/** How far one trajectory may go: model steps (backend calls) and server tool calls. */
export interface Caps {
  steps: number;
  toolCalls: number;
}

const FIXED: Record<Exclude<Variant, "auto">, Caps> = {
  lite: { steps: 3, toolCalls: 4 },
  fast: { steps: 4, toolCalls: 8 },
  pro: { steps: 24, toolCalls: 64 },
};

/** `:auto` sizes its budget from the task: more attached media, more room. */
export function capsFor(variant: Variant, attachments: number): Caps {
  if (variant !== "auto") return FIXED[variant];
  const steps = Math.min(6 + 2 * attachments, 16);
  return { steps, toolCalls: steps * 2 };
}
