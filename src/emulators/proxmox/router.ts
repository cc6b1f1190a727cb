import type { Route } from './api-types.ts';

/** Matches request paths against `{param}` templates. Trailing slashes are ignored, as pveproxy does. */
interface CompiledRoute {
  readonly route: Route;
  readonly regex: RegExp;
  readonly names: string[];
}

export interface RouteMatch {
  readonly route: Route;
  readonly pathParams: Record<string, string>;
}

export class Router {
  readonly #routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map((route) => {
      const names: string[] = [];
      const pattern = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      return { route, regex: new RegExp(`^${pattern}$`), names };
    });
  }

  /** The route for method + path, or undefined (501). */
  match(method: string, path: string): RouteMatch | undefined {
    const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
    for (const { route, regex, names } of this.#routes) {
      if (route.method !== method) continue;
      const match = regex.exec(trimmed);
      if (!match) continue;
      const pathParams: Record<string, string> = {};
      names.forEach((name, index) => {
        pathParams[name] = safeDecode(match[index + 1]!);
      });
      return { route, pathParams };
    }
    return undefined;
  }

  /** The route template a path belongs to (any method), for request counters. */
  template(method: string, path: string): string {
    return this.match(method, path)?.route.path ?? path;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
