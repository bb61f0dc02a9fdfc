import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/** The README's TypeScript snippets, type-checked as a user's project would (strict, NodeNext). */
describe("README", () => {
  it("every ```ts snippet type-checks against this package and the openai SDK", () => {
    const readme = readFileSync("README.md", "utf8");
    const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(snippets.length).toBeGreaterThanOrEqual(2);
    // Inside the repository, so `orion-server/client` resolves to this package (self-reference).
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
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .map(
          (d) =>
            `${d.file ? path.basename(d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
        );
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
