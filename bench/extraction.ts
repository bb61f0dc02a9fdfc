// Extraction accuracy of the offline local planner: generated invoices (varied labels, layouts,
// number and date formats, tables of line items) as clean PNGs, scan-like PNGs and text PDFs, each
// extracted to INVOICE_SCHEMA through the REST API with nothing configured; prints exact-match
// accuracy per field and per rendering.
//   npm run bench:extraction            # EXTRACT_COUNT=24 documents per rendering by default
import { stopOcr } from "../src/tools/document/ocr-engine.js";
import { INVOICE_SCHEMA, makeInvoice, renderInvoice, scoreInvoice } from "../test/support/invoices.js";
import { startBareServer } from "../test/support/server.js";

const COUNT = Number(process.env.EXTRACT_COUNT ?? 24);
const RENDERINGS = ["png", "noisy", "pdf"] as const;

export async function extractAll(url: string, count: number, as: (typeof RENDERINGS)[number], seed0 = 1) {
  const scores: Record<string, boolean>[] = [];
  const failures: string[] = [];
  for (let n = 0; n < count; n++) {
    const { truth, lines } = makeInvoice(seed0 + n);
    const bytes = await renderInvoice(lines, as);
    const type = as === "pdf" ? "application/pdf" : "image/png";
    const part =
      as === "pdf"
        ? {
            type: "file_url",
            file_url: { url: `data:${type};base64,${Buffer.from(bytes).toString("base64")}` },
          }
        : {
            type: "image_url",
            image_url: { url: `data:${type};base64,${Buffer.from(bytes).toString("base64")}` },
          };
    const res = await fetch(`${url}/v1/openai/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-browser-id": "extraction-bench" },
      body: JSON.stringify({
        toolsets: ["document"],
        response_format: { type: "json_schema", json_schema: { name: "invoice", schema: INVOICE_SCHEMA } },
        messages: [{ role: "user", content: [{ type: "text", text: "Extract this invoice" }, part] }],
      }),
    });
    const body = (await res.json()) as { choices?: { message: { content: string } }[]; detail?: unknown };
    let answer: Record<string, unknown> = {};
    if (res.status === 200) answer = JSON.parse(body.choices?.[0]?.message.content ?? "{}");
    else failures.push(`#${seed0 + n} ${as}: ${res.status} ${JSON.stringify(body.detail).slice(0, 200)}`);
    const score = scoreInvoice(truth, answer);
    scores.push(score);
    if (process.env.EXTRACT_VERBOSE) {
      for (const [field, ok] of Object.entries(score)) {
        if (!ok)
          console.log(
            `#${seed0 + n} ${as} ${field}: want ${JSON.stringify((truth as never)[field])} got ${JSON.stringify(answer[field])}`,
          );
      }
    }
  }
  return { scores, failures };
}

export function accuracy(scores: Record<string, boolean>[]) {
  const fields = Object.keys(scores[0] ?? {});
  const per = Object.fromEntries(fields.map((f) => [f, scores.filter((s) => s[f]).length / scores.length]));
  const all = scores.flatMap((s) => Object.values(s));
  return { per, overall: all.filter(Boolean).length / all.length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app, url } = await startBareServer({ ORION_GUEST_DAILY_LIMIT: "100000", ORION_PLAYGROUND: "off" });
  try {
    const rows: string[] = [];
    let fields: string[] = [];
    for (const as of RENDERINGS) {
      const started = performance.now();
      const { scores, failures } = await extractAll(url, COUNT, as);
      const { per, overall } = accuracy(scores);
      fields = Object.keys(per);
      const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
      rows.push(
        `| ${as} (${COUNT} docs, ${((performance.now() - started) / COUNT).toFixed(0)} ms each) | ${fields.map((f) => pct(per[f] ?? 0)).join(" | ")} | **${pct(overall)}** |`,
      );
      for (const f of failures.slice(0, 5)) console.log(f);
    }
    console.log(`\n| rendering | ${fields.join(" | ")} | all fields |`);
    console.log(`|---|${fields.map(() => "---").join("|")}|---|`);
    for (const row of rows) console.log(row);
  } finally {
    await app.shutdown(0);
    await stopOcr();
  }
}
