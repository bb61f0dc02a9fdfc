import { describeError } from "./errors.js";
import { api } from "./transport.js";
import { ui } from "./ui.js";

/** The caller's quota line: guest chats left today, or no cap when signed in. */
export async function refreshQuota() {
  try {
    const q = await api().getQuota({});
    if (q.dailyLimit === undefined) {
      ui.quota.textContent = `Signed in (${q.callerKind.replace("_", " ")}, ${q.plan} plan): no daily cap`;
      ui.quota.dataset.state = "unlimited";
    } else {
      const left = q.remainingToday ?? 0;
      ui.quota.textContent = `${left} of ${q.dailyLimit} guest chats left today`;
      ui.quota.dataset.state = left === 0 ? "exhausted" : "ok";
    }
  } catch (error) {
    ui.quota.textContent = describeError(error).text;
    ui.quota.dataset.state = "error";
  }
}

/** The quota line after a refusal for quota, until the next refresh. */
export function markQuotaExhausted() {
  ui.quota.dataset.state = "exhausted";
}
