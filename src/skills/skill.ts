import type { JsonObject } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { type AgentModel, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { Reason, reasonError } from "../errors.js";
import { parseBoundedYaml, YamlProblem } from "../runtime/bounded-yaml.js";
import { wireNames } from "../wire/names.js";

/** A skill bundle: instructions (SKILL.md), optional execution config (vlmrun.yaml) and output schema. */
export interface Skill {
  id: string;
  name: string;
  description: string;
  version: string;
  instructions: string;
  model?: AgentModel;
  toolsets: Toolset[];
  schema?: JsonObject;
}

export class InvalidSkill extends Error {}

/** A bundle file's YAML as an object; a file that cannot be read is an InvalidSkill naming why. */
function yamlOf(file: string, text: string): Record<string, unknown> {
  try {
    return (parseBoundedYaml(text) ?? {}) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof YamlProblem) throw new InvalidSkill(`${file}: ${error.message}`);
    throw error;
  }
}

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/;

/** Reads a bundle from its files (by relative path); throws InvalidSkill naming what is wrong. */
export function skillFromFiles(files: Map<string, string>, fallbackId?: string): Skill {
  const skillMd = files.get("SKILL.md");
  if (skillMd === undefined) throw new InvalidSkill("the bundle has no SKILL.md");
  const match = FRONT_MATTER.exec(skillMd);
  if (!match) throw new InvalidSkill("SKILL.md must start with YAML front matter (--- … ---)");
  const front = yamlOf("SKILL.md front matter", match[1] ?? "");
  const name = front.name;
  if (typeof name !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw new InvalidSkill("SKILL.md front matter needs a name (1-64 letters, digits, '_', '-', '.')");
  }
  if (typeof front.description !== "string" || front.description.trim() === "") {
    throw new InvalidSkill("SKILL.md front matter needs a description");
  }
  const version = String(front.skill_version ?? front.version ?? "1");
  const skill: Skill = {
    id: fallbackId ?? name,
    name,
    description: front.description,
    version,
    instructions: (match[2] ?? "").trim(),
    toolsets: [],
  };
  const config = files.get("vlmrun.yaml");
  if (config !== undefined) {
    const parsed = yamlOf("vlmrun.yaml", config);
    if (parsed.model !== undefined) {
      const model = wireNames.agentModel.fromWire(String(parsed.model));
      if (model === undefined) throw new InvalidSkill(`vlmrun.yaml names an unknown model "${parsed.model}"`);
      skill.model = model;
    }
    if (parsed.toolsets !== undefined) {
      if (!Array.isArray(parsed.toolsets)) throw new InvalidSkill("vlmrun.yaml toolsets must be a list");
      skill.toolsets = parsed.toolsets.map((t) => {
        const toolset = wireNames.toolset.fromWire(String(t));
        if (toolset === undefined || toolset === Toolset.UNSPECIFIED)
          throw new InvalidSkill(`vlmrun.yaml names an unknown toolset "${t}"`);
        return toolset;
      });
    }
  }
  const schema = files.get("schema.json");
  if (schema !== undefined) {
    try {
      skill.schema = JSON.parse(schema) as JsonObject;
    } catch {
      throw new InvalidSkill("schema.json is not valid JSON");
    }
  }
  return skill;
}

export function invalidSkill(where: string, error: unknown) {
  return reasonError(Code.InvalidArgument, Reason.invalidSkill, `${where}: ${(error as Error).message}`, {
    metadata: { field: where },
  });
}
