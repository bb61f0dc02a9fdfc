/** The page's elements, found once (index.html has every id). */
export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export const ui = {
  transcript: $<HTMLOListElement>("transcript"),
  composer: $<HTMLFormElement>("composer"),
  prompt: $<HTMLTextAreaElement>("prompt"),
  files: $<HTMLInputElement>("files"),
  attachments: $<HTMLDivElement>("attachments"),
  send: $<HTMLButtonElement>("send"),
  stop: $<HTMLButtonElement>("stop"),
  newChat: $<HTMLButtonElement>("new-chat"),
  quota: $<HTMLParagraphElement>("quota"),
  model: $<HTMLSelectElement>("model"),
  toolsets: $<HTMLDivElement>("toolsets"),
  providers: $<HTMLDivElement>("providers"),
  protocol: $<HTMLSelectElement>("protocol"),
  apiKey: $<HTMLInputElement>("api-key"),
  sessionLabel: $<HTMLParagraphElement>("session-label"),
  empty: $<HTMLDivElement>("empty"),
  systemPrompt: $<HTMLTextAreaElement>("system-prompt"),
  temperature: $<HTMLInputElement>("temperature"),
  maxTokens: $<HTMLInputElement>("max-tokens"),
  schema: $<HTMLTextAreaElement>("schema"),
  schemaError: $<HTMLParagraphElement>("schema-error"),
  viewCode: $<HTMLButtonElement>("view-code"),
  codeDialog: $<HTMLDialogElement>("code-dialog"),
  codeSnippet: $<HTMLElement>("code-snippet"),
};
