import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/server/app.js";
import { stopOcr } from "../../src/tools/document/ocr-engine.js";
import { makePdf, textImage } from "../support/documents.js";
import { postChat, sseData, startBareServer } from "../support/server.js";
import { makeVideo } from "../support/videos.js";

// Nothing configured: the local planner picks the tools from the words and the attachments.
let app: App;
let url: string;
beforeAll(async () => {
  ({ app, url } = await startBareServer({ ORION_GUEST_DAILY_LIMIT: "1000" }));
});
afterAll(async () => {
  await app.shutdown(0);
  await stopOcr();
});

const browser = { "x-browser-id": "planner-toolsets" };
const dataUrl = (type: string, bytes: Uint8Array | Buffer) =>
  `data:${type};base64,${Buffer.from(bytes).toString("base64")}`;

interface Streamed {
  text: string;
  events: { kind: string; tool_name: string; message: string; artifact_ids: string[] }[];
  /** The final chunk's list of every file the run made. */
  artifacts: { id: string; url: string }[];
}

/** A streamed chat (so the router picks the toolsets), gathered into text and agent events. */
async function ask(text: string, part: Record<string, unknown>): Promise<Streamed> {
  const res = await postChat(
    url,
    { stream: true, messages: [{ role: "user", content: [{ type: "text", text }, part] }] },
    browser,
  );
  expect(res.status).toBe(200);
  const chunks = sseData(await res.text())
    .filter((d) => d !== "[DONE]")
    .map(
      (d) =>
        JSON.parse(d) as {
          choices: { delta: { content?: string } }[];
          agent_event?: Streamed["events"][0];
          artifacts?: Streamed["artifacts"];
          error?: unknown;
        },
    );
  expect(chunks.find((c) => c.error)).toBeUndefined();
  return {
    text: chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""),
    events: chunks.flatMap((c) => (c.agent_event ? [c.agent_event] : [])),
    artifacts: chunks.at(-1)?.artifacts ?? [],
  };
}
const finished = (s: Streamed) => s.events.filter((e) => e.kind === "tool.finished").map((e) => e.tool_name);

describe("the local planner routes to each toolset's tools", () => {
  it("'what text is in this image' → OCR, answered with the words", async () => {
    const png = await textImage(["Boarding pass: gate B12", "Seat 14C"]);
    const reply = await ask("What text is in this image?", {
      type: "image_url",
      image_url: { url: dataUrl("image/png", png) },
    });
    expect(finished(reply)).toEqual(["ocr"]);
    expect(reply.text).toContain("Boarding pass: gate B12");
    expect(reply.text).toContain("Seat 14C");
  });

  it("'what text is in this PDF' → the PDF's text layer", async () => {
    const pdf = await makePdf([{ lines: ["Lease agreement", "Rent is due on the first day of the month."] }]);
    const reply = await ask("What text is in this PDF?", {
      type: "file_url",
      file_url: { url: dataUrl("application/pdf", pdf) },
    });
    expect(finished(reply)).toEqual(["pdf_text"]);
    expect(reply.text).toContain("Rent is due on the first day of the month.");
  });

  it("a 5,000-page PDF: pdf_text reads the first 100 pages in seconds and says how to read on", async () => {
    const pdf = await makePdf(
      Array.from({ length: 5_000 }, (_, i) => ({ lines: [`Page ${i + 1} of the ledger`] })),
    );
    const started = performance.now();
    const reply = await ask("What text is in this PDF?", {
      type: "file_url",
      file_url: { url: dataUrl("application/pdf", pdf) },
    });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(finished(reply)).toEqual(["pdf_text"]);
    const done = reply.events.find((e) => e.kind === "tool.finished");
    expect(done?.message).toMatch(
      /from 100 pages of doc_\w+ \(5000 in all\); stopped at 100 pages a call with 4900 asked for left unread: call pdf_text again with \{"first_page":101\} for the rest/,
    );
    expect(reply.text).toContain("Page 100 of the ledger");
    expect(reply.text).not.toContain("Page 101 of the ledger");
  }, 120_000);

  it("'find the faces and blur them' → detect, then blur, returning the new image", async () => {
    const demo = path.join(
      path.dirname(createRequire(import.meta.url).resolve("@vladmandic/face-api/package.json")),
      "demo",
    );
    const photo = readFileSync(path.join(demo, "sample1.jpg"));
    const reply = await ask("Find the faces and blur them", {
      type: "image_url",
      image_url: { url: dataUrl("image/jpeg", photo) },
    });
    expect(finished(reply)).toEqual(["detect_faces", "blur_regions"]);
    const made = reply.events.find((e) => e.tool_name === "blur_regions" && e.kind === "tool.finished")
      ?.artifact_ids[0];
    expect(made).toMatch(/^img_[0-9a-f]{6}$/);
    expect(reply.text).toContain(made);
  }, 60_000);

  it("'sample 4 frames from this video' → four frame images", async () => {
    const reply = await ask("Sample 4 frames from this video", {
      type: "video_url",
      video_url: { url: dataUrl("video/mp4", makeVideo()) },
    });
    expect(finished(reply)).toEqual(["sample_frames"]);
    const frames = reply.events.find((e) => e.kind === "tool.finished")?.artifact_ids ?? [];
    expect(frames).toHaveLength(4);
    expect(reply.text).toContain("sampled 4 frames");
    // Reachable from the reply alone: named in the text in order, and listed beside it.
    const positions = frames.map((id) => reply.text.indexOf(id));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(reply.artifacts.map((a) => a.id)).toEqual(frames);
    for (const a of reply.artifacts) {
      expect((await fetch(`${url}${a.url}`, { headers: browser })).status).toBe(200);
    }
  });

  it("'chart these numbers' → a chart image of them", async () => {
    const res = await postChat(
      url,
      {
        stream: true,
        messages: [{ role: "user", content: "Chart these numbers: North 30, South 60, East 90" }],
      },
      browser,
    );
    const chunks = sseData(await res.text())
      .filter((d) => d !== "[DONE]")
      .map((d) => JSON.parse(d));
    const done = chunks.find((c) => c.agent_event?.kind === "tool.finished")?.agent_event;
    expect(done?.tool_name).toBe("chart");
    expect(done?.artifact_ids[0]).toMatch(/^img_/);
  });
});
