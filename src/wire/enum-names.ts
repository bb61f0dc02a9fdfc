import { type DescEnum, getOption } from "@bufbuild/protobuf";
import { wire_aliases, wire_name } from "../../gen/vlmrun/agent/v1/options_pb.js";

/**
 * Two-way map between an enum's numeric values and their wire spellings, built once from the
 * `(wire_name)` / `(wire_aliases)` options declared in proto.
 */
export interface EnumWireNames<E extends number> {
  /** The canonical spelling, or undefined for values without one (e.g. UNSPECIFIED). */
  toWire(value: E): string | undefined;
  /** The value for a spelling or alias, or undefined when unknown. */
  fromWire(spelling: string): E | undefined;
  /** Canonical spellings in declaration order. */
  readonly spellings: readonly string[];
  /** Canonical values in declaration order (UNSPECIFIED excluded). */
  readonly values: readonly E[];
}

export function enumWireNames<E extends number>(desc: DescEnum): EnumWireNames<E> {
  const toWire = new Map<number, string>();
  const fromWire = new Map<string, number>();
  for (const value of desc.values) {
    const name = getOption(value, wire_name);
    if (name === "") continue;
    toWire.set(value.number, name);
    fromWire.set(name, value.number);
    for (const alias of getOption(value, wire_aliases)) fromWire.set(alias, value.number);
  }
  return {
    toWire: (value) => toWire.get(value),
    fromWire: (spelling) => fromWire.get(spelling) as E | undefined,
    spellings: [...toWire.values()],
    values: [...toWire.keys()] as E[],
  };
}
