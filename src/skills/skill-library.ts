import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import type { SkillSpec } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { SkillType } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { Reason, reasonError } from "../errors.js";
import { inlineSkillId, unpackSkillZip } from "./inline-zip.js";
import { InvalidSkill, invalidSkill, type Skill, skillFromFiles } from "./skill.js";

const BUNDLE_FILES = ["SKILL.md", "vlmrun.yaml", "schema.json"];

/** Numeric-aware version order: "10" after "9", "20260219-abc" after "20260101-xyz". */
const newestFirst = (a: Skill, b: Skill) => b.version.localeCompare(a.version, undefined, { numeric: true });

/**
 * Skills from a folder (ORION_SKILLS_DIR: one sub-folder per bundle, any depth of versions) read
 * once at start-up, and inline skills unpacked per request.
 */
export class SkillLibrary {
  private readonly byName = new Map<string, Skill[]>();

  constructor(dir: string | undefined, onProblem: (path: string, error: unknown) => void = () => {}) {
    if (!dir) return;
    const visit = (path: string) => {
      const entries = readdirSync(path);
      if (entries.includes("SKILL.md")) {
        try {
          const files = new Map<string, string>();
          for (const file of BUNDLE_FILES) {
            if (entries.includes(file)) files.set(file, readFileSync(join(path, file), "utf8"));
          }
          const skill = skillFromFiles(files);
          const versions = this.byName.get(skill.name) ?? [];
          versions.push(skill);
          versions.sort(newestFirst);
          this.byName.set(skill.name, versions);
        } catch (error) {
          onProblem(path, error);
        }
        return;
      }
      for (const entry of entries) {
        const child = join(path, entry);
        if (statSync(child).isDirectory()) visit(child);
      }
    };
    visit(dir);
  }

  list(): Skill[] {
    return [...this.byName.values()].flat();
  }

  /** Resolves a request's skill specs, in order; unknown references are 404, bad bundles 400. */
  resolve(specs: SkillSpec[]): Promise<Skill[]> {
    return Promise.all(specs.map((spec, i) => this.resolveOne(spec, i)));
  }

  private async resolveOne(spec: SkillSpec, i: number): Promise<Skill> {
    if (spec.type === SkillType.INLINE) {
      const data = spec.source?.data ?? new Uint8Array();
      try {
        const skill = skillFromFiles(await unpackSkillZip(data), inlineSkillId(data));
        return {
          ...skill,
          name: spec.name || skill.name,
          description: spec.description || skill.description,
        };
      } catch (error) {
        if (error instanceof InvalidSkill) throw invalidSkill(`skills[${i}]`, error);
        throw error;
      }
    }
    const [idName, idVersion] = (spec.skillId || spec.skillName).split(":");
    const version = spec.skillVersion || idVersion || "latest";
    const versions = this.byName.get(idName ?? "") ?? [];
    const skill = version === "latest" ? versions[0] : versions.find((s) => s.version === version);
    if (!skill) {
      throw reasonError(Code.NotFound, Reason.notFound, `skill "${idName}" (version ${version}) not found`, {
        metadata: { field: `skills[${i}]` },
      });
    }
    return skill;
  }
}
