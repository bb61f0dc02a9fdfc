import type { Exchange } from "./http/exchange.js";

export type RouteHandler = (x: Exchange, params: Record<string, string>) => Promise<void> | void;

interface Route {
  method: string;
  name: string;
  segments: string[];
  handler: RouteHandler;
}

export interface RouteMatch {
  name: string;
  handler: RouteHandler;
  params: Record<string, string>;
}

/** A tiny method + path router for the non-RPC routes; `{name}` segments capture one segment. */
export class Router {
  private readonly routes: Route[] = [];
  /** Routes without `{name}` segments by "METHOD /path": most requests match in one lookup. */
  private readonly exact = new Map<string, Route>();

  add(method: string, path: string, name: string, handler: RouteHandler): this {
    const route = { method, name, segments: path.split("/"), handler };
    if (!path.includes("{")) {
      // Only when no earlier route also matches: the first added route wins, as in the scan.
      const earlier = this.match(method, path);
      if (!(earlier && "handler" in earlier)) this.exact.set(`${method} ${path}`, route);
    }
    this.routes.push(route);
    return this;
  }

  /** Every route, as method, path template and name (for docs and tests). */
  list(): { method: string; path: string; name: string }[] {
    return this.routes.map((r) => ({ method: r.method, path: r.segments.join("/"), name: r.name }));
  }

  /** The route for a path, or which methods the path allows (for a 405). */
  match(method: string, path: string): RouteMatch | { allowed: string[] } | undefined {
    const hit = this.exact.get(`${method} ${path}`);
    if (hit) return { name: hit.name, handler: hit.handler, params: {} };
    const parts = path.split("/");
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method || (method === "HEAD" && route.method === "GET")) {
        return { name: route.name, handler: route.handler, params };
      }
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { allowed } : undefined;
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const v = parts[i] as string;
    if (p.startsWith("{") && p.endsWith("}")) {
      if (v === "") return undefined;
      try {
        params[p.slice(1, -1)] = decodeURIComponent(v);
      } catch {
        return undefined;
      }
    } else if (p !== v) {
      return undefined;
    }
  }
  return params;
}
