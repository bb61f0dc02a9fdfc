/** The generated message, enum and service types, so callers need nothing else to be typed. */
export * from "../../gen/vlmrun/agent/v1/chat_pb.js";
export * from "../../gen/vlmrun/agent/v1/enums_pb.js";
export * from "../../gen/vlmrun/agent/v1/service_pb.js";
