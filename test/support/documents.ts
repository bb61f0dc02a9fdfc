import { strToU8, zipSync } from "fflate";
import { PDFDocument, StandardFonts } from "pdf-lib";
import sharp from "sharp";

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Text rendered by librsvg (DejaVu Sans) onto a white page: the OCR tests' clean input. */
export async function textImage(
  lines: string[],
  { width = 1200, height = 800, fontSize = 36, top = 90, extraSvg = "" } = {},
): Promise<Buffer> {
  const text = lines
    .map(
      (line, i) =>
        `<text x="60" y="${top + i * fontSize * 1.6}" font-family="DejaVu Sans" font-size="${fontSize}" fill="#111">${escapeXml(line)}</text>`,
    )
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${extraSvg}${text}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A "scanned" copy: slightly rotated (`angle` degrees), blurred, noisy and saved as a poor JPEG. */
export async function degrade(png: Buffer, angle = 0.8): Promise<Buffer> {
  const { data, info } = await sharp(png)
    .rotate(angle, { background: "#ffffff" })
    .flatten({ background: "#ffffff" })
    .blur(0.7)
    .greyscale()
    .toColourspace("b-w")
    .raw()
    .toBuffer({ resolveWithObject: true });
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let i = 0; i < data.length; i++) {
    const r = random();
    if (r < 0.004) data[i] = 0;
    else if (r < 0.008) data[i] = 255;
    else data[i] = Math.max(0, Math.min(255, (data[i] ?? 0) + Math.round((random() - 0.5) * 50)));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } })
    .jpeg({ quality: 45 })
    .toBuffer();
}

export interface PdfPageSpec {
  lines?: string[];
  /** A picture filling the page instead of text: a scanned page. */
  image?: Buffer;
}

/** A US-letter PDF (612×792 pt) made with pdf-lib: text pages in Helvetica, image-only "scans". */
export async function makePdf(pages: PdfPageSpec[], title = "Test document"): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(title);
  doc.setAuthor("Orion tests");
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const spec of pages) {
    const page = doc.addPage([612, 792]);
    (spec.lines ?? []).forEach((line, i) => {
      page.drawText(line, { x: 72, y: 720 - i * 24, size: 14, font });
    });
    if (spec.image) {
      const image = await doc.embedPng(spec.image);
      page.drawImage(image, { x: 0, y: 0, width: 612, height: 792 });
    }
  }
  return doc.save();
}

/** A minimal but valid .docx (Office Open XML) with one paragraph per line. */
export function makeDocx(paragraphs: string[]): Uint8Array {
  const body = paragraphs
    .map((p) => `<w:p><w:r><w:t xml:space="preserve">${escapeXml(p)}</w:t></w:r></w:p>`)
    .join("");
  return zipSync({
    "[Content_Types].xml": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ),
    "_rels/.rels": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
    "word/document.xml": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
    ),
  });
}

/** Character error rate: edit distance over the reference length, whitespace collapsed. */
export function characterErrorRate(reference: string, hypothesis: string): number {
  const a = reference.replace(/\s+/g, " ").trim();
  const b = hypothesis.replace(/\s+/g, " ").trim();
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return (previous[b.length] ?? 0) / Math.max(1, a.length);
}
