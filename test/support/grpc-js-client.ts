import { createRegistry, fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";

/** A gRPC client from @grpc/grpc-js (a stack we did not write), loaded from our .proto files. */
export function grpcJsClient(url: string) {
  const definition = protoLoader.loadSync("vlmrun/agent/v1/service.proto", {
    includeDirs: ["proto", "third_party"],
    keepCase: true,
    oneofs: true,
    longs: String,
    enums: String,
    defaults: false,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    vlmrun: { agent: { v1: { AgentService: grpc.ServiceClientConstructor } } };
  };
  const address = new URL(url).host;
  return new loaded.vlmrun.agent.v1.AgentService(address, grpc.credentials.createInsecure()) as grpc.Client &
    Record<string, (...args: unknown[]) => unknown>;
}

const registry = createRegistry(file_google_rpc_error_details);

/** The google.rpc error details a grpc-js error carries in grpc-status-details-bin. */
export function grpcErrorDetails(error: grpc.ServiceError) {
  const raw = error.metadata.get("grpc-status-details-bin")[0];
  if (!raw) return [];
  const status = fromBinary(StatusSchema, raw as Buffer);
  return status.details.map((any) => anyUnpack(any, registry));
}

export function unary<T>(
  client: grpc.Client & Record<string, (...args: unknown[]) => unknown>,
  method: string,
  request: unknown,
  metadata = new grpc.Metadata(),
) {
  return new Promise<T>((resolve, reject) => {
    const fn = client[method] as (
      req: unknown,
      md: grpc.Metadata,
      cb: (e: grpc.ServiceError | null, r: T) => void,
    ) => void;
    fn.call(client, request, metadata, (error, response) => (error ? reject(error) : resolve(response)));
  });
}
