/** Value ranges of the request fields (proto/vlmrun/agent/v1/chat.proto), in one place for validation, docs and tests. */
export const RANGES = {
  maxTokens: { min: 1, max: 32768, default: 32768 },
  n: { min: 1, max: 8, default: 1 },
  temperature: { min: 0, max: 2, default: 0 },
  topP: { exclusiveMin: 0, max: 1, default: 1 },
  topK: { min: 1, max: 1_000_000 },
  logprobs: { min: 0, max: 20 },
  penalty: { min: -2, max: 2 },
  stop: { maxItems: 4 },
  metadata: { maxKeys: 16, maxKeyLength: 64, maxValueLength: 512 },
  idLength: 128,
  toolName: /^[A-Za-z0-9_-]{1,64}$/,
  sessionId: /^[A-Za-z0-9_.:-]{1,128}$/,
} as const;
