/** Caps the server announces in index.html, so attachments are checked before they are sent. */
export interface ServerSettings {
  maxBodyBytes: number;
  media: { perKind: Record<MediaKind, number>; total: number };
}

export type MediaKind = "image" | "video" | "audio" | "document";

const FALLBACK: ServerSettings = {
  maxBodyBytes: 32 * 1024 * 1024,
  media: {
    perKind: { image: 20 << 20, video: 256 << 20, audio: 64 << 20, document: 64 << 20 },
    total: 512 << 20,
  },
};

export function readServerSettings(): ServerSettings {
  const content = document.querySelector<HTMLMetaElement>('meta[name="orion-settings"]')?.content;
  if (!content) return FALLBACK;
  try {
    return JSON.parse(content) as ServerSettings;
  } catch {
    return FALLBACK;
  }
}

/** What the page remembers between visits, each under its own local-storage key. */
export const remembered = {
  get(key: "browser-id" | "session-id" | "api-key" | "preferences"): string | null {
    try {
      return localStorage.getItem(`orion.${key}`);
    } catch {
      return null;
    }
  },
  set(key: "browser-id" | "session-id" | "api-key" | "preferences", value: string | null): void {
    try {
      if (value === null || value === "") localStorage.removeItem(`orion.${key}`);
      else localStorage.setItem(`orion.${key}`, value);
    } catch {
      // Private mode or storage full: the page still works, it just forgets on reload.
    }
  },
};

/** Generated once per browser and kept: the server counts guest chats by it. */
export function browserId(): string {
  const existing = remembered.get("browser-id");
  if (existing) return existing;
  const id = `web-${crypto.randomUUID()}`;
  remembered.set("browser-id", id);
  return id;
}
