import { type DescFile, type DescService, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type {
  ServerReflectionRequest,
  ServerReflectionResponseSchema,
  ServerReflection as ServerReflectionV1,
} from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import type { ServerReflection as ServerReflectionV1Alpha } from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";

type Reply = MessageInitShape<typeof ServerReflectionResponseSchema>;

/** The file and every file it imports, transitively, each once (what reflection clients expect). */
function withDependencies(file: DescFile, into = new Map<string, DescFile>()): Map<string, DescFile> {
  if (into.has(file.name)) return into;
  into.set(file.name, file);
  for (const dependency of file.dependencies) withDependencies(dependency, into);
  return into;
}

/** Every symbol a file declares, fully qualified: messages (nested too), enums, services and methods. */
function symbolsOf(file: DescFile): string[] {
  const out: string[] = [];
  const message = (m: DescFile["messages"][number]): void => {
    out.push(m.typeName, ...m.fields.map((f) => `${m.typeName}.${f.name}`));
    for (const e of m.nestedEnums) out.push(e.typeName);
    for (const n of m.nestedMessages) message(n);
  };
  for (const m of file.messages) message(m);
  for (const e of file.enums) out.push(e.typeName);
  for (const s of file.services) out.push(s.typeName, ...s.methods.map((m) => `${s.typeName}.${m.name}`));
  for (const x of file.extensions) out.push(x.typeName);
  return out;
}

/**
 * The reflection index of the services this server serves, built once from the descriptors the
 * generated code embeds: `buf curl --list-methods` and `grpcurl list` work without our protos.
 */
export function reflectionIndex(services: readonly DescService[]) {
  const files = new Map<string, DescFile>();
  for (const service of services) withDependencies(service.file, files);
  const bySymbol = new Map<string, DescFile>();
  for (const file of files.values()) for (const symbol of symbolsOf(file)) bySymbol.set(symbol, file);
  const encoded = new Map(
    [...files.values()].map((f) => [f.name, toBinary(FileDescriptorProtoSchema, f.proto)]),
  );
  const descriptorsOf = (file: DescFile) => ({
    case: "fileDescriptorResponse" as const,
    value: {
      fileDescriptorProto: [...withDependencies(file).keys()].map((name) => encoded.get(name) as Uint8Array),
    },
  });
  const notFound = (message: string) => ({
    case: "errorResponse" as const,
    value: { errorCode: 5, errorMessage: message },
  });

  return function answer(request: ServerReflectionRequest): Reply {
    const { messageRequest: r } = request;
    let messageResponse: Reply["messageResponse"];
    switch (r.case) {
      case "listServices":
        messageResponse = {
          case: "listServicesResponse",
          value: { service: services.map((s) => ({ name: s.typeName })) },
        };
        break;
      case "fileByFilename": {
        const file = files.get(r.value);
        messageResponse = file ? descriptorsOf(file) : notFound(`no file named ${r.value}`);
        break;
      }
      case "fileContainingSymbol": {
        const file = bySymbol.get(r.value.replace(/^\./, ""));
        messageResponse = file ? descriptorsOf(file) : notFound(`no symbol named ${r.value}`);
        break;
      }
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = r.value;
        const file = [...files.values()].find((f) =>
          f.extensions.some((x) => x.extendee.typeName === containingType && x.number === extensionNumber),
        );
        messageResponse = file
          ? descriptorsOf(file)
          : notFound(`no extension ${extensionNumber} of ${containingType}`);
        break;
      }
      case "allExtensionNumbersOfType": {
        const numbers = [...files.values()].flatMap((f) =>
          f.extensions.filter((x) => x.extendee.typeName === r.value).map((x) => x.number),
        );
        messageResponse = {
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: r.value, extensionNumber: numbers },
        };
        break;
      }
      default:
        messageResponse = { case: "errorResponse", value: { errorCode: 3, errorMessage: "empty request" } };
    }
    return { validHost: request.host, originalRequest: request, messageResponse };
  };
}

/** grpc.reflection.v1 and v1alpha: the same answers (the two protocols' messages are identical). */
export function reflectionServices(services: readonly DescService[]) {
  const answer = reflectionIndex(services);
  const v1: ServiceImpl<typeof ServerReflectionV1> = {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) yield answer(request);
    },
  };
  const v1alpha = v1 as unknown as ServiceImpl<typeof ServerReflectionV1Alpha>;
  return { v1, v1alpha };
}
