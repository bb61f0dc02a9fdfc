import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const readme = readFileSync("README.md", "utf8");

/** The README's fenced blocks of one language (also those indented inside list items). */
function blocks(lang: string): string[] {
  const fence = new RegExp(`^( *)\`\`\`${lang}\\n([\\s\\S]*?)^\\1\`\`\`$`, "gm");
  return [...readme.matchAll(fence)].map((m) => {
    const indent = (m[1] as string).length;
    return (m[2] as string)
      .split("\n")
      .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
      .join("\n");
  });
}

/** Whether a command runs here at all (python3 is not among the tests' system packages). */
function available(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("README", () => {
  it("uses only fenced languages this test checks", () => {
    const langs = new Set([...readme.matchAll(/^ *```(\w+)$/gm)].map((m) => m[1]));
    expect([...langs].filter((l) => !["ts", "sh", "json", "python"].includes(l as string))).toEqual([]);
  });

  it("every ```ts snippet type-checks against this package's sources and the openai SDK", () => {
    const snippets = blocks("ts");
    expect(snippets.length).toBeGreaterThanOrEqual(2);
    // Inside the repository, so `openai` resolves from its node_modules; `orion-server/client` is
    // mapped to the client's source, so a stale dist/ cannot hide a broken export.
    const dir = mkdtempSync(path.resolve("test", ".readme-"));
    try {
      const files = snippets.map((code, i) => {
        const file = path.join(dir, `snippet-${i}.ts`);
        writeFileSync(file, `${code}\nexport {};\n`);
        return file;
      });
      const program = ts.createProgram(files, {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: ["node"],
        skipLibCheck: true,
        paths: { "orion-server/client": [path.resolve("src/client/node.ts")] },
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .map(
          (d) =>
            `${d.file ? path.basename(d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
        );
      expect(problems).toEqual([]);
      // The mapping really was used: the client came from src/, not dist/.
      const client = program.getSourceFiles().map((f) => path.relative(".", f.fileName));
      expect(client).toContain(path.join("src", "client", "node.ts"));
      expect(client.some((f) => f.startsWith("dist"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("every ```sh block is valid bash (bash -n)", () => {
    const snippets = blocks("sh");
    expect(snippets.length).toBeGreaterThanOrEqual(5);
    const problems = snippets.flatMap((code, i) => {
      try {
        execFileSync("bash", ["-n"], { input: code, stdio: ["pipe", "ignore", "pipe"] });
        return [];
      } catch (error) {
        return [`sh block ${i}: ${String((error as { stderr?: Buffer }).stderr ?? error)}`];
      }
    });
    expect(problems).toEqual([]);
  });

  it("every ```json block parses as JSON", () => {
    const snippets = blocks("json");
    expect(snippets.length).toBeGreaterThanOrEqual(1);
    for (const code of snippets) expect(() => JSON.parse(code), code).not.toThrow();
  });

  it.runIf(available("python3", ["--version"]))("every ```python block compiles (python3)", () => {
    const snippets = blocks("python");
    expect(snippets.length).toBeGreaterThanOrEqual(1);
    for (const code of snippets) {
      expect(() =>
        execFileSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], {
          input: code,
          stdio: ["pipe", "ignore", "pipe"],
        }),
      ).not.toThrow();
    }
  });
});

/** Every file under these folders (recursively), as paths from the repository root. */
function filesUnder(...dirs: string[]): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      return statSync(file).isDirectory() ? filesUnder(file) : [file];
    }),
  );
}

describe("the repository stands on its own", () => {
  it("cites no document that is not in it (no SPEC §n, stack or peer notes, issues)", () => {
    const citation = /\bSPEC\b|stack notes|peer notes|§\s?\d|\b(?:identity|hardening) issue\b/;
    const texts = [
      "README.md",
      ...filesUnder("docs", "src", "bench", "web/src", "scripts", "test", "proto"),
    ].filter((f) => /\.(md|ts|mjs|js|proto)$/.test(f) && !f.endsWith("readme-snippets.test.ts"));
    const found = texts.flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((line, i) =>
          citation.test(line) ? [`${file}:${i + 1}: ${line.trim().slice(0, 120)}`] : [],
        ),
    );
    expect(found).toEqual([]);
  });

  it("links only to files that exist (README and docs/)", () => {
    const broken = ["README.md", ...filesUnder("docs").filter((f) => f.endsWith(".md"))].flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
        .map((m) => m[1] as string)
        .filter((target) => !/^[a-z]+:/.test(target))
        .filter((target) => !existsSync(path.join(path.dirname(file), target)))
        .map((target) => `${file} → ${target}`),
    );
    expect(broken).toEqual([]);
  });

  it("gives one status for a required property the files do not show: 422, what the server answers", () => {
    const sentences = readme
      .replace(/\s+/g, " ")
      .split(/(?<=[.;])\s/)
      .filter((s) => /required property|property it could not|does not show/.test(s));
    expect(sentences.length).toBeGreaterThanOrEqual(2);
    for (const sentence of sentences) {
      expect(sentence).toContain("422");
      expect(sentence).not.toMatch(/\b400\b/);
    }
  });
});
