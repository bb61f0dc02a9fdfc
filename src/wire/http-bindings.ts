import { type DescMethod, type DescService, getOption } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";
import { FieldBehavior, field_behavior } from "../../gen/google/api/field_behavior_pb.js";

export type HttpVerb = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One `google.api.http` binding of an RPC: verb, path template ("/v1/sessions/{session_id}"). */
export interface HttpBinding {
  method: DescMethod;
  verb: HttpVerb;
  path: string;
  /** "*" when the body is the whole request message; "" when there is none. */
  body: string;
}

/** The REST bindings a service declares in its proto (additional bindings too), in declaration order. */
export function httpBindings(service: DescService): HttpBinding[] {
  const bindings: HttpBinding[] = [];
  for (const method of service.methods) {
    const rule = getOption(method, http);
    for (const { pattern, body } of [rule, ...rule.additionalBindings]) {
      if (pattern.case === undefined || pattern.case === "custom") continue;
      bindings.push({ method, verb: pattern.case.toUpperCase() as HttpVerb, path: pattern.value, body });
    }
  }
  return bindings;
}

/** Whether a request field is marked `(google.api.field_behavior) = REQUIRED`. */
export function isRequired(field: DescMethod["input"]["fields"][number]): boolean {
  return getOption(field, field_behavior).includes(FieldBehavior.REQUIRED);
}

const getBindings = new WeakMap<DescMethod, HttpBinding>();

/**
 * Where a GET binding of `method` serves these request fields (proto names): path variables filled
 * in, the rest as the query. So links the service hands out follow the proto, not a copied path.
 */
export function bindingUrl(method: DescMethod, fields: Record<string, string>): string {
  let binding = getBindings.get(method);
  if (!binding) {
    binding = httpBindings(method.parent).find((b) => b.method === method && b.verb === "GET");
    if (!binding) throw new Error(`${method.name} has no GET binding`);
    getBindings.set(method, binding);
  }
  const query = new URLSearchParams();
  let path = binding.path;
  for (const [name, value] of Object.entries(fields)) {
    const variable = `{${name}}`;
    if (path.includes(variable)) path = path.replace(variable, encodeURIComponent(value));
    else query.set(name, value);
  }
  const search = query.toString();
  return search ? `${path}?${search}` : path;
}
