import type { JsonObject } from "@bufbuild/protobuf";
import { wireNames } from "../../src/wire/names.js";
import { show } from "./chat-view.js";
import { describeError } from "./errors.js";
import { remembered } from "./settings.js";
import { el, notice } from "./transcript.js";
import { api } from "./transport.js";
import { ui } from "./ui.js";

// The settings panel: models, toolsets and providers come from the server; the choices are
// remembered between visits.

function checkbox(container: HTMLElement, value: string, label: string, disabledReason?: string) {
  const wrapper = el("label", "check");
  const input = el("input");
  input.type = "checkbox";
  input.value = value;
  if (disabledReason) {
    input.disabled = true;
    wrapper.title = disabledReason;
    wrapper.classList.add("unavailable");
  }
  wrapper.append(input, document.createTextNode(` ${label}`));
  container.append(wrapper);
}

export async function loadModels() {
  for (const toolset of wireNames.toolset.values) {
    const name = wireNames.toolset.toWire(toolset) ?? String(toolset);
    checkbox(ui.toolsets, String(toolset), name);
  }
  try {
    const { models, providers } = await api().listModels({});
    for (const m of models) {
      const option = el("option", undefined, m.id);
      option.value = String(m.model);
      option.title = m.backend;
      ui.model.append(option);
    }
    for (const p of providers.filter((p) => p.available)) checkbox(ui.providers, String(p.model), p.id);
    // Providers this server is not set up for: one line, with how to enable them, unfolded on demand.
    const missing = providers.filter((p) => !p.available);
    if (missing.length > 0) {
      const details = el("details", "unconfigured");
      details.append(
        el(
          "summary",
          undefined,
          `${missing.length} more not configured: set ORION_MODEL_<NAME>_URL (see docs/providers.md)`,
        ),
      );
      const list = el("div", "checks");
      for (const p of missing) {
        checkbox(
          list,
          String(p.model),
          `${p.id} (not configured)`,
          p.unavailableReason || `set ${p.setting}`,
        );
      }
      details.append(list);
      ui.providers.append(details);
    }
  } catch (error) {
    show(notice(`Could not list the models: ${describeError(error).text}`, "error"));
  }
  restorePreferences();
}

/** The values of the ticked boxes in a list of checkboxes (toolsets, providers). */
export function checkedValues(container: HTMLElement): number[] {
  return [...container.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => Number(i.value));
}

interface Preferences {
  model?: string;
  toolsets?: number[];
  providers?: number[];
  protocol?: string;
}

export function preferences(): Preferences {
  try {
    return JSON.parse(remembered.get("preferences") ?? "{}") as Preferences;
  } catch {
    return {};
  }
}

export function savePreferences() {
  remembered.set(
    "preferences",
    JSON.stringify({
      model: ui.model.value,
      toolsets: checkedValues(ui.toolsets),
      providers: checkedValues(ui.providers),
      protocol: ui.protocol.value,
    }),
  );
  remembered.set("api-key", ui.apiKey.value.trim() || null);
}

function restorePreferences() {
  const saved = preferences();
  if (saved.model && [...ui.model.options].some((o) => o.value === saved.model)) ui.model.value = saved.model;
  const tick = (container: HTMLElement, values: unknown) => {
    const wanted = Array.isArray(values) ? values : [];
    for (const input of container.querySelectorAll<HTMLInputElement>("input:not(:disabled)")) {
      input.checked = wanted.includes(Number(input.value));
    }
  };
  tick(ui.toolsets, saved.toolsets);
  tick(ui.providers, saved.providers);
}

/** The answer schema typed into the settings, parsed; undefined when empty; an error shown when it is not JSON. */
export function answerSchema(): JsonObject | undefined | Error {
  const raw = ui.schema.value.trim();
  ui.schemaError.hidden = true;
  if (raw === "") return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("a schema is a JSON object");
    return parsed as JsonObject;
  } catch (error) {
    ui.schemaError.textContent = `The answer schema is not valid: ${(error as Error).message}`;
    ui.schemaError.hidden = false;
    return error as Error;
  }
}

/** A number field of the settings; undefined when left empty. */
export const numberOf = (input: HTMLInputElement) =>
  input.value.trim() === "" ? undefined : Number(input.value);
