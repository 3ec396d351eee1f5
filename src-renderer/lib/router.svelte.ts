/**
 * Hash routing: `#/runs`, `#/runs/12`, `#/compare?ids=1,2`, `#/sweeps/3`. The hash survives a
 * reload in Electron's file:// page and in browser mode alike, and needs no server routes.
 */
export interface Route {
  /** Path segments after `#/`, e.g. ['runs', '12']. */
  parts: string[];
  query: URLSearchParams;
}

function parse(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = raw.split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(search) };
}

export class Router {
  route = $state.raw<Route>(parse(window.location.hash));

  constructor() {
    window.addEventListener('hashchange', () => {
      this.route = parse(window.location.hash);
    });
  }

  /** The first segment, or `fallback` when the hash is empty. */
  section(fallback: string): string {
    return this.route.parts[0] ?? fallback;
  }

  go(path: string): void {
    const target = path.startsWith('#') ? path : `#${path.startsWith('/') ? '' : '/'}${path}`;
    if (window.location.hash === target) this.route = parse(target);
    else window.location.hash = target;
  }
}

export const router = new Router();

export function href(path: string): string {
  return `#${path.startsWith('/') ? '' : '/'}${path}`;
}
