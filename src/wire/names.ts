import {
  type AgentEventKind,
  AgentEventKindSchema,
  type AgentModel,
  AgentModelSchema,
  type FinishReason,
  FinishReasonSchema,
  type ImageDetail,
  ImageDetailSchema,
  type Model,
  ModelSchema,
  type ResponseFormatType,
  ResponseFormatTypeSchema,
  type Role,
  RoleSchema,
  type SkillType,
  SkillTypeSchema,
  type ToolChoiceMode,
  ToolChoiceModeSchema,
  type Toolset,
  ToolsetSchema,
} from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { type ExecutionStatus, ExecutionStatusSchema } from "../../gen/vlmrun/agent/v1/executions_pb.js";
import { enumWireNames } from "./enum-names.js";

/** Every enum's wire spellings, read from proto once at start-up. */
export const wireNames = {
  agentModel: enumWireNames<AgentModel>(AgentModelSchema),
  toolset: enumWireNames<Toolset>(ToolsetSchema),
  model: enumWireNames<Model>(ModelSchema),
  role: enumWireNames<Role>(RoleSchema),
  finishReason: enumWireNames<FinishReason>(FinishReasonSchema),
  imageDetail: enumWireNames<ImageDetail>(ImageDetailSchema),
  responseFormatType: enumWireNames<ResponseFormatType>(ResponseFormatTypeSchema),
  skillType: enumWireNames<SkillType>(SkillTypeSchema),
  toolChoiceMode: enumWireNames<ToolChoiceMode>(ToolChoiceModeSchema),
  agentEventKind: enumWireNames<AgentEventKind>(AgentEventKindSchema),
  executionStatus: enumWireNames<ExecutionStatus>(ExecutionStatusSchema),
} as const;
