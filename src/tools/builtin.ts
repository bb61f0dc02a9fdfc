import { type FetchPolicy, SETTINGS, type SearchConfig } from "../config.js";
import { imageInfo } from "./core/image-info.js";
import { loadUrl } from "./core/load-url.js";
import { readText } from "./core/read-text.js";
import { docxText } from "./document/docx-text.js";
import { layout } from "./document/layout.js";
import { ocr } from "./document/ocr.js";
import { pdfInfo } from "./document/pdf-info.js";
import { pdfRender } from "./document/pdf-render.js";
import { pdfText } from "./document/pdf-text.js";
import { redact } from "./document/redact.js";
import { crop } from "./image/crop.js";
import { detectFaces } from "./image/detect-faces.js";
import { detectObjects } from "./image/detect-objects.js";
import { detectPose } from "./image/detect-pose.js";
import { dominantColors } from "./image/dominant-colors.js";
import { flip } from "./image/flip.js";
import { grayscale } from "./image/grayscale.js";
import { resize } from "./image/resize.js";
import { rotate } from "./image/rotate.js";
import { segmentPerson } from "./image/segment-person.js";
import { annotate } from "./image-gen/annotate.js";
import { blurRegions } from "./image-gen/blur-regions.js";
import { ToolRegistry } from "./registry.js";
import { sampleFrames } from "./video/sample-frames.js";
import { sceneCuts } from "./video/scene-cuts.js";
import { trim } from "./video/trim.js";
import { videoProbe } from "./video/video-probe.js";
import { chart } from "./viz/chart.js";
import { overlay } from "./viz/overlay.js";
import { fetchPage } from "./web/fetch-page.js";
import { webSearch, webSearchInfo } from "./web/web-search.js";

/** The server tools that need no provider: one file per tool, listed here. */
export function builtinTools(
  fetchPolicy: FetchPolicy,
  search?: SearchConfig,
  pdfMaxPages: number = SETTINGS.ORION_PDF_MAX_PAGES.default,
): ToolRegistry {
  const registry = new ToolRegistry();
  if (search) registry.register(webSearch(search));
  else
    registry.unavailable({
      ...webSearchInfo,
      reason: "set ORION_SEARCH_URL (a SearXNG-compatible search endpoint)",
    });
  return registry.register(
    imageInfo,
    loadUrl(fetchPolicy),
    readText,
    crop,
    resize,
    rotate,
    dominantColors,
    flip,
    grayscale,
    detectFaces,
    detectObjects,
    detectPose,
    segmentPerson,
    blurRegions,
    annotate,
    chart,
    overlay,
    pdfInfo,
    pdfText(pdfMaxPages),
    pdfRender,
    ocr,
    layout,
    docxText,
    redact,
    videoProbe,
    sampleFrames,
    sceneCuts,
    trim,
    fetchPage(fetchPolicy),
  );
}
