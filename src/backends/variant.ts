import { AgentModel } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Variant } from "../config.js";

/** The variant (and so the backend) an agent model id runs as; the bare id is `:auto`. */
export function variantOf(model: AgentModel): Variant {
  switch (model) {
    case AgentModel.ORION_1_LITE:
      return "lite";
    case AgentModel.ORION_1_FAST:
      return "fast";
    case AgentModel.ORION_1_PRO:
      return "pro";
    default:
      return "auto";
  }
}
