import http from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";

export type DoubleMode = "ok" | "error" | "hang" | "malformed";

export interface ProviderRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
  authorization: string | undefined;
}

export interface ProviderDouble {
  /** The provider's root URL (for the infer and jobs contracts). */
  url: string;
  /** The OpenAI-compatible base URL (root + /v1), for the vision-chat providers. */
  openaiUrl: string;
  requests: ProviderRequest[];
  mode: DoubleMode;
  /** How many polls a job stays queued/running before it succeeds. */
  jobPolls: number;
  close(): Promise<void>;
}

const b64 = (b: Buffer) => b.toString("base64");

/**
 * A stand-in for the model servers behind the 12 providers, speaking the three protocols of
 * docs/providers.md over real HTTP: OpenAI chat completions, the JSON inference contract and the
 * long-running jobs contract. Its answers are computed from what it was sent.
 */
export async function startProviderDouble(): Promise<ProviderDouble> {
  const mask = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#000000" } })
    .composite([
      { input: { create: { width: 32, height: 24, channels: 3, background: "#ffffff" } }, left: 16, top: 12 },
    ])
    .greyscale()
    .png()
    .toBuffer();
  const depth = await sharp(Buffer.alloc(64 * 48 * 2, 0x40), { raw: { width: 64, height: 48, channels: 1 } })
    .png()
    .toBuffer();
  const generated = await sharp({ create: { width: 96, height: 64, channels: 3, background: "#33aa77" } })
    .png()
    .toBuffer();
  const jobs = new Map<string, { polls: number; status: string; task: string }>();
  let nextJob = 1;
  const hanging = new Set<http.ServerResponse>();

  const double: ProviderDouble = {
    url: "",
    openaiUrl: "",
    requests: [],
    mode: "ok",
    jobPolls: 2,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const payload = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(payload);
  };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const path = (req.url ?? "/").split("?")[0] as string;
    double.requests.push({
      method: req.method ?? "GET",
      path,
      body,
      authorization: req.headers.authorization,
    });
    if (double.mode === "hang") {
      hanging.add(res);
      return;
    }
    if (double.mode === "error") return send(res, 503, { error: { message: "model is loading, try again" } });
    if (double.mode === "malformed") return send(res, 200, { unexpected: true });

    if (req.method === "POST" && path === "/v1/chat/completions") {
      const content = ((body.messages as { content: { type: string; text?: string }[] }[])[0]?.content ??
        []) as {
        type: string;
        text?: string;
      }[];
      const images = content.filter((p) => p.type === "image_url").length;
      const videos = content.filter((p) => p.type === "video_url").length;
      const prompt = content.find((p) => p.type === "text")?.text ?? "";
      return send(res, 200, {
        id: "chatcmpl-double",
        object: "chat.completion",
        model: body.model,
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: `saw ${images} image(s) and ${videos} video(s); asked: ${prompt}`,
            },
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 },
      });
    }
    if (req.method === "POST" && path === "/v1/infer") {
      const image = body.image as { media_type?: string; data_base64?: string } | undefined;
      if (!image?.data_base64) return send(res, 400, { error: { message: "image is required" } });
      switch (body.task) {
        case "segment":
          return send(res, 200, {
            masks: [
              {
                mask: { media_type: "image/png", data_base64: b64(mask) },
                score: 0.93,
                label: "object",
                xywh: [0.25, 0.25, 0.5, 0.5],
              },
            ],
          });
        case "depth":
          return send(res, 200, {
            depth: { media_type: "image/png", data_base64: b64(depth) },
            min: 0.5,
            max: 12.25,
            unit: "m",
          });
        case "reconstruct":
          return send(res, 200, {
            mesh: {
              media_type: "model/gltf-binary",
              data_base64: b64(Buffer.from("glTF\u0002\u0000\u0000\u0000test-mesh")),
            },
          });
        case "parse_ui":
          return send(res, 200, {
            elements: [{ type: "button", text: "Sign in", xywh: [0.1, 0.2, 0.3, 0.1], interactable: true }],
          });
        default:
          return send(res, 422, { error: { message: `unknown task ${String(body.task)}` } });
      }
    }
    if (req.method === "POST" && path === "/v1/jobs") {
      const id = `job-${nextJob++}`;
      jobs.set(id, { polls: 0, status: "queued", task: String(body.task) });
      return send(res, 202, { id, status: "queued" });
    }
    const jobMatch = /^\/v1\/jobs\/([^/]+)$/.exec(path);
    const job = jobMatch ? jobs.get(decodeURIComponent(jobMatch[1] as string)) : undefined;
    if (jobMatch && job) {
      const id = decodeURIComponent(jobMatch[1] as string);
      if (req.method === "DELETE") {
        job.status = "cancelled";
        return send(res, 200, { id, status: "cancelled" });
      }
      if (job.status === "cancelled") return send(res, 200, { id, status: "cancelled" });
      job.polls++;
      if (job.polls <= double.jobPolls)
        return send(res, 200, { id, status: "running", progress: job.polls / (double.jobPolls + 1) });
      const result =
        job.task === "video.generate"
          ? { media_type: "video/mp4", data_base64: b64(Buffer.from("fake-mp4-bytes")) }
          : { media_type: "image/png", data_base64: b64(generated) };
      return send(res, 200, { id, status: "succeeded", result });
    }
    send(res, 404, { error: { message: `no route ${req.method} ${path}` } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  double.url = `http://127.0.0.1:${port}`;
  double.openaiUrl = `${double.url}/v1`;
  return double;
}
