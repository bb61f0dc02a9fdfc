// Extraction accuracy of the offline local planner: generated invoices in every layout the
// generator makes (test/support/invoices.ts: labels beside, above or in a header row over their
// values, bordered cells, dot leaders, colon labels alone on a line, near-twin labels, a total on
// page 2, a monospace receipt), varied labels, number and date formats and line-item tables, as
// text PDFs, clean PNGs, scan-like PNGs and scans rotated by ±3°, each extracted to
// INVOICE_SCHEMA through the REST API with nothing configured; prints exact-match accuracy per
// layout and rendering, and how many answers were taken from another label's column.
//   npm run bench:extraction     # EXTRACT_COUNT=6 documents per layout and rendering by default
//   EXTRACT_RENDERINGS=pdf,png EXTRACT_LAYOUTS=grid,receipt npm run bench:extraction
import { stopOcr } from "../src/tools/document/ocr-engine.js";
import {
  crossedFields,
  INVOICE_SCHEMA,
  type InvoiceOptions,
  LAYOUTS,
  type Layout,
  makeInvoice,
  PDF_ONLY,
  RENDERINGS,
  type Rendering,
  renderInvoice,
  scoreInvoice,
} from "../test/support/invoices.js";
import { startBareServer } from "../test/support/server.js";

const COUNT = Number(process.env.EXTRACT_COUNT ?? 6);
const list = <T extends string>(env: string | undefined, all: readonly T[]) =>
  env ? all.filter((x) => env.split(",").includes(x)) : all;

/** One document through the REST API: its answer, or the failure's status and detail. */
async function extractOne(url: string, bytes: Uint8Array, as: Rendering) {
  const data = `data:${as === "pdf" ? "application/pdf" : "image/png"};base64,${Buffer.from(bytes).toString("base64")}`;
  const part =
    as === "pdf"
      ? { type: "file_url", file_url: { url: data } }
      : { type: "image_url", image_url: { url: data } };
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
  if (res.status === 200) return { answer: JSON.parse(body.choices?.[0]?.message.content ?? "{}") };
  return { answer: {}, failure: `${res.status} ${JSON.stringify(body.detail).slice(0, 200)}` };
}

/** Extracts the invoices of `seeds` (each with its options) rendered `as`, and scores them. */
export async function extractAll(
  url: string,
  as: Rendering,
  seeds: { seed: number; options?: InvoiceOptions }[],
) {
  const scores: Record<string, boolean>[] = [];
  const failures: string[] = [];
  const crossed: string[] = [];
  for (const { seed, options } of seeds) {
    const { truth, doc } = makeInvoice(seed, options);
    const { answer, failure } = await extractOne(url, await renderInvoice(doc, as, seed), as);
    const name = `#${seed} ${doc.layout} ${as}`;
    if (failure) failures.push(`${name}: ${failure}`);
    const score = scoreInvoice(truth, answer);
    scores.push(score);
    crossed.push(...crossedFields(truth, answer).map((f) => `${name} ${f}: ${JSON.stringify(answer[f])}`));
    if (process.env.EXTRACT_VERBOSE)
      for (const [field, ok] of Object.entries(score))
        if (!ok)
          console.log(
            `${name} ${field}: want ${JSON.stringify((truth as never)[field])} got ${JSON.stringify(answer[field])}`,
          );
  }
  return { scores, failures, crossed };
}

export function accuracy(scores: Record<string, boolean>[]) {
  const all = scores.flatMap((s) => Object.values(s));
  return all.filter(Boolean).length / all.length;
}

/** The bench's documents of one layout: seeds from 1, so every run reads the same set. */
export const seedsOf = (layout: Layout, count: number) =>
  Array.from({ length: count }, (_, n) => ({
    seed: 1 + n + 1000 * LAYOUTS.indexOf(layout),
    options: { layout },
  }));

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app, url } = await startBareServer({ ORION_GUEST_DAILY_LIMIT: "100000", ORION_PLAYGROUND: "off" });
  const renderings = list(process.env.EXTRACT_RENDERINGS, RENDERINGS);
  const layouts = list(process.env.EXTRACT_LAYOUTS, LAYOUTS);
  const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
  try {
    const totals = new Map<Rendering, Record<string, boolean>[]>();
    const rows: string[] = [];
    const notes: string[] = [];
    for (const layout of layouts) {
      const cells: string[] = [];
      for (const as of renderings) {
        if (as !== "pdf" && PDF_ONLY.includes(layout)) {
          cells.push("n/a");
          continue;
        }
        const { scores, failures, crossed } = await extractAll(url, as, seedsOf(layout, COUNT));
        totals.set(as, [...(totals.get(as) ?? []), ...scores]);
        cells.push(`${pct(accuracy(scores))}${crossed.length > 0 ? ` (${crossed.length} crossed)` : ""}`);
        notes.push(...failures.slice(0, 3), ...crossed.slice(0, 3).map((c) => `crossed: ${c}`));
      }
      rows.push(`| ${layout} | ${cells.join(" | ")} |`);
    }
    for (const note of notes) console.log(note);
    console.log(`\n${COUNT} documents per layout and rendering; exact fields:\n`);
    console.log(`| layout | ${renderings.join(" | ")} |`);
    console.log(`|---|${renderings.map(() => "---").join("|")}|`);
    for (const row of rows) console.log(row);
    console.log(
      `| **all** | ${renderings.map((as) => `**${pct(accuracy(totals.get(as) ?? []))}**`).join(" | ")} |`,
    );
  } finally {
    await app.shutdown(0);
    await stopOcr();
  }
}
