import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/** A sentence a person can act on, for any error a call may throw. */
export function describeError(error: unknown): { text: string; quotaExhausted: boolean } {
  const e = ConnectError.from(error);
  const reason = e.findDetails(ErrorInfoSchema)[0]?.reason;
  if (reason === "QUOTA_EXCEEDED") {
    return {
      text: `You have used today's guest chats (${e.rawMessage}). Paste an API key in Settings to keep chatting, or come back after the daily reset.`,
      quotaExhausted: true,
    };
  }
  switch (e.code) {
    case Code.ResourceExhausted:
      return { text: `Too much at once: ${e.rawMessage}`, quotaExhausted: false };
    case Code.Unauthenticated:
      return { text: `The API key was not accepted: ${e.rawMessage}`, quotaExhausted: false };
    case Code.Canceled:
      return { text: "Stopped.", quotaExhausted: false };
    case Code.Unavailable:
      return { text: `The server is unavailable right now: ${e.rawMessage}`, quotaExhausted: false };
    default:
      return { text: e.rawMessage || "Something went wrong.", quotaExhausted: false };
  }
}
