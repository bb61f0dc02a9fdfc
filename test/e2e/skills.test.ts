import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultScript, sendJson, type UpstreamCall } from "../support/fake-upstream.js";
import { hello, postChat, startServer, type TestServer } from "../support/server.js";
import { yamlAliasBomb } from "../support/yaml-bomb.js";
import { lyingZip } from "../support/zips.js";

function writeBundle(dir: string, files: Record<string, string>) {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

const skillMd = (name: string, version: string, body: string) =>
  `---\nname: ${name}\ndescription: ${name} for tests\nskill_version: "${version}"\n---\n${body}\n`;
const invoiceSchema = JSON.stringify({
  type: "object",
  properties: { total: { type: "number" } },
  required: ["total"],
});

let server: TestServer;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "orion-skills-"));
  writeBundle(join(dir, "invoice-extraction", "v1"), {
    "SKILL.md": skillMd("invoice-extraction", "1", "Old rules."),
  });
  writeBundle(join(dir, "invoice-extraction", "v2"), {
    "SKILL.md": skillMd("invoice-extraction", "2", "Extract the invoice total."),
    "vlmrun.yaml":
      "apiVersion: vlm.run/v1alpha\nmodel: vlmrun-orion-1:pro\ntoolsets:\n  - core\n  - document\n",
    "schema.json": invoiceSchema,
  });
  writeBundle(join(dir, "describer"), {
    "SKILL.md": skillMd("describer", "1", "Describe things in one sentence."),
  });
  writeBundle(join(dir, "broken"), { "SKILL.md": "no front matter here" });
  server = await startServer({ ORION_SKILLS_DIR: dir });
});
afterAll(() => server.close());

const sentMessages = () => server.upstream.calls.at(-1)?.body.messages as { role: string; content: string }[];
const zip = (files: Record<string, string | Uint8Array>) =>
  Buffer.from(
    zipSync(
      Object.fromEntries(
        Object.entries(files).map(([k, v]) => [k, typeof v === "string" ? new TextEncoder().encode(v) : v]),
      ),
    ),
  ).toString("base64");

describe("skills", () => {
  it("lists the folder's bundles (a broken one is skipped)", async () => {
    const body = (await (await fetch(`${server.url}/v1/skills`)).json()) as {
      data: { name: string; skill_version: string; model: string | null; toolsets: string[] }[];
    };
    const listed = body.data.map((s) => `${s.name}@${s.skill_version}`).sort();
    expect(listed).toEqual(["describer@1", "invoice-extraction@1", "invoice-extraction@2"]);
    const v2 = body.data.find((s) => s.skill_version === "2");
    expect(v2).toMatchObject({ model: "vlmrun-orion-1:pro", toolsets: ["core", "document"] });
  });

  it("adds a skill's instructions before the conversation", async () => {
    await postChat(server.url, { ...hello, skills: [{ skill_name: "describer" }] });
    expect(sentMessages()[0]).toEqual({
      role: "system",
      content: 'Skill "describer": Describe things in one sentence.',
    });
    // After the caller's instructions, the server's note on its tools (core is the default
    // toolset), then the conversation.
    expect(sentMessages()[1]).toMatchObject({ role: "system", content: expect.stringContaining("load_url") });
    expect(sentMessages()[2]).toMatchObject({ role: "user", content: "Say hello" });
  });

  it("uses the latest version's model and schema; the answer must match the schema", async () => {
    server.upstream.script((call: UpstreamCall, res) =>
      sendJson(res, 200, {
        choices: [
          { index: 0, message: { role: "assistant", content: '{"total": 42.5}' }, finish_reason: "stop" },
        ],
        model: call.body.model,
      }),
    );
    try {
      const res = await postChat(server.url, {
        ...hello,
        skills: [{ type: "skill_reference", skill_id: "invoice-extraction" }],
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { model: string; choices: { message: { content: string } }[] };
      expect(body.model).toBe("vlmrun-orion-1:pro");
      expect(JSON.parse(body.choices[0]?.message.content ?? "")).toEqual({ total: 42.5 });
      expect(server.upstream.calls.at(-1)?.body.response_format).toEqual({
        type: "json_schema",
        json_schema: { name: "invoice-extraction", schema: JSON.parse(invoiceSchema) },
      });
      expect(sentMessages()[0]?.content).toContain("Extract the invoice total.");
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("honours a pinned version, in the name:version form too", async () => {
    await postChat(server.url, {
      ...hello,
      skills: [{ skill_name: "invoice-extraction", skill_version: "1" }],
    });
    expect(sentMessages()[0]?.content).toContain("Old rules.");
    await postChat(server.url, { ...hello, skills: [{ skill_id: "invoice-extraction:1" }] });
    expect(sentMessages()[0]?.content).toContain("Old rules.");
  });

  it("answers 404 for an unknown skill, before any model call", async () => {
    const before = server.upstream.calls.length;
    const res = await postChat(server.url, { ...hello, skills: [{ skill_name: "nope" }] });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toContain('skill "nope"');
    expect(server.upstream.calls.length).toBe(before);
  });

  it("runs an inline zip skill", async () => {
    const data = zip({ "my-skill/SKILL.md": skillMd("inline-one", "3", "Answer in French.") });
    const res = await postChat(server.url, {
      ...hello,
      skills: [
        {
          type: "inline",
          name: "inline-one",
          description: "d",
          source: { type: "base64", media_type: "application/zip", data },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(sentMessages()[0]?.content).toBe('Skill "inline-one": Answer in French.');
  });

  it.each([
    ["path traversal", () => zip({ "../../etc/SKILL.md": skillMd("x", "1", "x") }), "outside the bundle"],
    [
      "a zip bomb",
      () => zip({ "SKILL.md": skillMd("x", "1", "x"), "big.bin": new Uint8Array(20 * 1024 * 1024) }),
      "unpacks to more than",
    ],
    [
      "too many entries",
      () => zip(Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`f${i}.txt`, "x"]))),
      "more than 64 entries",
    ],
    [
      "headers that declare 100 bytes for an entry inflating to 128 MiB",
      () => lyingZip("SKILL.md", 128 * 1024 * 1024, 100).toString("base64"),
      "unpacks to more than 4194304 bytes",
    ],
    ["not a zip", () => Buffer.from("definitely not a zip").toString("base64"), "not a readable zip"],
    ["no SKILL.md", () => zip({ "README.md": "hi" }), "no SKILL.md"],
    [
      "an alias bomb in SKILL.md's front matter",
      () => zip({ "SKILL.md": `---\n${yamlAliasBomb("name")}---\nx\n` }),
      "SKILL.md front matter: its aliases expand past the limit of 100 (refused as a YAML alias bomb)",
    ],
    [
      "an alias bomb in vlmrun.yaml",
      () => zip({ "SKILL.md": skillMd("x", "1", "x"), "vlmrun.yaml": yamlAliasBomb() }),
      "vlmrun.yaml: its aliases expand past the limit of 100",
    ],
    [
      "front matter that is not YAML",
      () => zip({ "SKILL.md": "---\nname: [unclosed\n---\nx\n" }),
      "SKILL.md front matter: not valid YAML",
    ],
  ])("rejects an inline zip with %s (400)", async (_name, make, mention) => {
    const res = await postChat(server.url, {
      ...hello,
      skills: [
        {
          type: "inline",
          name: "bad",
          description: "d",
          source: { type: "base64", media_type: "application/zip", data: make() },
        },
      ],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { detail: string; error: { code: string } };
    expect(body.error.code).toBe("invalid_skill");
    expect(body.detail).toContain(mention);
  });
});
