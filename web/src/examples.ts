/** The empty state's example prompts: each runs offline on a tool the server ships with. */
export interface Example {
  prompt: string;
  toolset: string;
  files: () => Promise<File[]>;
}

/** A small picture drawn in the page, so the image example needs nothing from anywhere. */
async function samplePicture(): Promise<File> {
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 200;
  const g = canvas.getContext("2d") as CanvasRenderingContext2D;
  g.fillStyle = "#3b6cf6";
  g.fillRect(0, 0, 160, 100);
  g.fillStyle = "#f6b93b";
  g.fillRect(160, 0, 160, 100);
  g.fillStyle = "#38ada9";
  g.fillRect(0, 100, 160, 100);
  g.fillStyle = "#e55039";
  g.fillRect(160, 100, 160, 100);
  const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b as Blob), "image/png"));
  return new File([blob], "sample.png", { type: "image/png" });
}

export const EXAMPLES: Record<string, Example> = {
  chart: {
    prompt: "Draw a bar chart of North 30, South 60 and East 90",
    toolset: "viz",
    files: async () => [],
  },
  crop: {
    prompt: "Crop the top-left quarter of this image",
    toolset: "image",
    files: async () => [await samplePicture()],
  },
  note: {
    prompt: "What does this note say?",
    toolset: "core",
    files: async () => [
      new File(
        ["Harbour café opening hours: Monday to Friday 8:00–18:00, Saturday 9:00–14:00, closed on Sunday.\n"],
        "note.txt",
        { type: "text/plain" },
      ),
    ],
  },
};
