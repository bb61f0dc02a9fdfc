import { Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";

/** The toolsets that hold heavy tools: what goes to the tool queues, and what a worker takes by default. */
export const HEAVY_TOOLSETS: readonly Toolset[] = [
  Toolset.DOCUMENT,
  Toolset.IMAGE,
  Toolset.VIDEO,
  Toolset.VIZ,
];
