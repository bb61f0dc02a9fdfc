import type { Xywh } from "./regions.js";

const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45"];

const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** An SVG layer of labelled boxes and points, sized to the image; sharp composites it on top. */
export function overlaySvg(
  width: number,
  height: number,
  boxes: { xywh: Xywh; label?: string; color?: string }[],
  points: { xy: [number, number]; label?: string; color?: string }[] = [],
): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 250));
  const font = Math.max(12, Math.round(Math.min(width, height) / 40));
  const parts = boxes.map((b, i) => {
    const color = b.color ?? PALETTE[i % PALETTE.length];
    const [x, y, w, h] = [b.xywh[0] * width, b.xywh[1] * height, b.xywh[2] * width, b.xywh[3] * height];
    const label = b.label
      ? `<rect x="${x}" y="${Math.max(0, y - font * 1.3)}" width="${(b.label.length * font * 0.62 + font * 0.6).toFixed(1)}" height="${font * 1.3}" fill="${color}"/>` +
        `<text x="${x + font * 0.3}" y="${Math.max(font, y - font * 0.3)}" font-family="DejaVu Sans" font-size="${font}" fill="#fff">${escapeXml(b.label)}</text>`
      : "";
    return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${color}" stroke-width="${stroke}"/>${label}`;
  });
  for (const [i, p] of points.entries()) {
    const color = p.color ?? PALETTE[i % PALETTE.length];
    const [x, y] = [p.xy[0] * width, p.xy[1] * height];
    parts.push(
      `<circle cx="${x}" cy="${y}" r="${stroke * 2.5}" fill="${color}" stroke="#fff" stroke-width="${stroke / 2}"/>`,
    );
    if (p.label)
      parts.push(
        `<text x="${x + stroke * 4}" y="${y + font / 3}" font-family="DejaVu Sans" font-size="${font}" fill="${color}">${escapeXml(p.label)}</text>`,
      );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join("")}</svg>`;
}
