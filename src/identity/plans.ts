/** The plans an API key can have (ORION_API_KEYS' `:plan`, `orion keys create --plan`). */
export const PLANS = ["starter", "pro", "enterprise"] as const;
export type Plan = (typeof PLANS)[number];

/** Requests a minute each plan allows; undefined: no limit. */
export const PLAN_RPM: Record<Plan, number | undefined> = { starter: 10, pro: 100, enterprise: undefined };
