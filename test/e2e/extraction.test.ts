import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accuracy, extractAll } from "../../bench/extraction.js";
import type { App } from "../../src/server/app.js";
import { stopOcr } from "../../src/tools/document/ocr-engine.js";
import { makePdf } from "../support/documents.js";
import {
  DATE_STYLES,
  INVOICE_SCHEMA,
  LAYOUTS,
  type Layout,
  MONEY_STYLES,
  makeInvoice,
  PDF_ONLY,
  renderInvoice,
} from "../support/invoices.js";
import { postChat, startBareServer } from "../support/server.js";

// Nothing configured: the local planner reads documents and fills schemas offline.
let app: App;
let url: string;
beforeAll(async () => {
  ({ app, url } = await startBareServer({ ORION_GUEST_DAILY_LIMIT: "100000" }));
});
afterAll(async () => {
  await app.shutdown(0);
  await stopOcr();
});

const browser = { "x-browser-id": "extraction-tests" };
const asData = (type: string, bytes: Uint8Array) =>
  `data:${type};base64,${Buffer.from(bytes).toString("base64")}`;

describe("schema extraction from documents with nothing configured", () => {
  // A slice of `npm run bench:extraction` (same generator and scoring): every layout as a text PDF,
  // cycling through every money and date format; each layout that fits one picture as a clean PNG;
  // scans, two of them rotated by ±3°. The bench's noisy and rotated sets are larger.
  const pdfs = LAYOUTS.flatMap((layout, l) =>
    [0, 1, 2].map((k) => ({
      seed: 300 + 10 * l + k,
      options: { layout, moneyStyle: (3 * l + k) % MONEY_STYLES, dateStyle: (3 * l + k) % DATE_STYLES },
    })),
  );
  const pictures = LAYOUTS.filter((layout) => !PDF_ONLY.includes(layout)).map((layout, l) => ({
    seed: 400 + l,
    options: { layout, moneyStyle: l % MONEY_STYLES, dateStyle: l % DATE_STYLES },
  }));
  const scans = (layouts: Layout[]) => layouts.map((layout, l) => ({ seed: 500 + l, options: { layout } }));

  it.each([
    ["PDFs with a text layer, every layout, money and date format", 0.95, "pdf", pdfs],
    ["clean images of every layout", 0.95, "png", pictures],
    ["scan-like images", 0.85, "noisy", scans(["beside", "stacked", "two-column", "twins"])],
    ["scans rotated by +3° and -3°", 0.85, "rotated", scans(["grid", "twins"])],
  ] as const)(
    "fills the invoice schema from %s (exact fields ≥ %s), nothing from another label's column",
    async (_name, target, as, seeds) => {
      const { scores, failures, crossed } = await extractAll(url, as, seeds);
      expect(failures).toEqual([]);
      expect(crossed).toEqual([]);
      expect(accuracy(scores)).toBeGreaterThanOrEqual(target);
    },
    120_000,
  );

  it("covers every layout, money format and date format the generator makes", () => {
    const made = pdfs.map((s) => s.options);
    expect(new Set(made.map((o) => o.layout))).toEqual(new Set(LAYOUTS));
    expect(new Set(made.map((o) => o.moneyStyle)).size).toBe(MONEY_STYLES);
    expect(new Set(made.map((o) => o.dateStyle)).size).toBe(DATE_STYLES);
  });

  it("says where each value was read when metadata asks for provenance, beside the answer", async () => {
    const { truth, doc } = makeInvoice(11, { layout: "beside" });
    const png = await renderInvoice(doc, "png");
    const res = await postChat(
      url,
      {
        toolsets: ["document"],
        metadata: { provenance: "true" },
        response_format: { type: "json_schema", json_schema: { name: "invoice", schema: INVOICE_SCHEMA } },
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Extract" },
              { type: "image_url", image_url: { url: asData("image/png", png) } },
            ],
          },
        ],
      },
      browser,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      choices: { message: { content: string } }[];
      _provenance: Record<string, { page: number; line: string; box?: number[] }>;
    };
    const answer = JSON.parse(body.choices[0]?.message.content ?? "{}") as Record<string, unknown>;
    expect(answer).not.toHaveProperty("_provenance");
    expect(answer.invoice_number).toBe(truth.invoice_number);
    const where = body._provenance.invoice_number;
    expect(where?.page).toBe(1);
    expect(where?.line).toContain(truth.invoice_number);
    expect(where?.box).toHaveLength(4);
    expect(Object.keys(body._provenance)).toEqual(expect.arrayContaining(["date", "total", "items"]));
  });

  it("names a required property the document does not show, and what it looked for (422)", async () => {
    const { doc } = makeInvoice(7);
    const pdf = await renderInvoice(doc, "pdf");
    const res = await postChat(
      url,
      {
        toolsets: ["document"],
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "po",
            schema: {
              ...INVOICE_SCHEMA,
              required: ["invoice_number", "po_number"],
              properties: {
                ...INVOICE_SCHEMA.properties,
                po_number: { type: "string", title: "Purchase order" },
              },
            },
          },
        },
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Extract" },
              { type: "file_url", file_url: { url: asData("application/pdf", pdf) } },
            ],
          },
        ],
      },
      browser,
    );
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: { loc: unknown[]; msg: string }[] };
    expect(body.detail[0]?.loc).toEqual(["body", "response_format"]);
    expect(body.detail[0]?.msg).toMatch(
      /could not find "po_number" in doc_[0-9a-f]{6} \(looked for a label reading "purchase order", "po number"/,
    );
  });
});

describe("questions about a document's content", () => {
  it("answers 'what does this document say?' with the PDF's text", async () => {
    const pdf = await makePdf([{ lines: ["Quarterly report", "Revenue grew by 12 percent."] }]);
    const res = await postChat(
      url,
      {
        toolsets: ["document"],
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What does this document say?" },
              { type: "file_url", file_url: { url: asData("application/pdf", pdf) } },
            ],
          },
        ],
      },
      browser,
    );
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(res.status).toBe(200);
    expect(body.choices[0]?.message.content).toContain("Revenue grew by 12 percent.");
  });

  it("answers 'hi' with what it can do offline and how to configure a model", async () => {
    const res = await postChat(url, { messages: [{ role: "user", content: "hi" }] }, browser);
    const text = ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message
      .content;
    expect(text).toContain("what does this document say?");
    expect(text).toContain("ORION_LLM_BASE_URL");
  });
});
