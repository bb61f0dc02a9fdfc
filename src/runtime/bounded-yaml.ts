import { parse } from "yaml";

/**
 * Aliases a YAML text may expand (the `yaml` package's `maxAliasCount`, counted its way): skills
 * and vlmrun.yaml need a handful, and a nested alias bomb needs thousands.
 */
export const YAML_MAX_ALIASES = 100;

/** A YAML text that cannot be read, with a message naming why (fit to follow "<file>: "). */
export class YamlProblem extends Error {}

/** Parses YAML with alias expansion bounded; throws YamlProblem naming the cause. */
export function parseBoundedYaml(text: string): unknown {
  try {
    return parse(text, { maxAliasCount: YAML_MAX_ALIASES });
  } catch (error) {
    const message = (error as Error).message;
    if (/excessive alias count/i.test(message)) {
      throw new YamlProblem(
        `its aliases expand past the limit of ${YAML_MAX_ALIASES} (refused as a YAML alias bomb)`,
      );
    }
    throw new YamlProblem(`not valid YAML (${message.split("\n")[0]})`);
  }
}
