/**
 * What the desktop shell trusts, apart from Electron so it can be tested: which URLs are pages of
 * KernelLab's own renderer, which links may open in the user's browser, which permissions a page
 * gets (none). A prefix test is not enough: `http://localhost:5173` is a prefix of
 * `http://localhost:5173.evil.example/`, and `file:///…/out/renderer` of
 * `file:///…/out/renderer-x/`. So a dev server is matched by exact origin and a built renderer
 * by a file path inside its folder.
 */
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the renderer comes from: electron-vite's dev server, or the built files. */
export type RendererSource = { kind: 'dev'; origin: string } | { kind: 'files'; dir: string };

export function rendererSource(devServerUrl: string | undefined, rendererDir: string): RendererSource {
  return devServerUrl ? { kind: 'dev', origin: new URL(devServerUrl).origin } : { kind: 'files', dir: rendererDir };
}

/** Whether `url` is a page (or a resource) of KernelLab's own renderer. */
export function isRendererUrl(url: string, source: RendererSource): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (source.kind === 'dev') return parsed.origin === source.origin;
  if (parsed.protocol !== 'file:' || parsed.host !== '') return false;
  let path: string;
  try {
    path = fileURLToPath(parsed);
  } catch {
    return false;
  }
  const inside = relative(source.dir, path);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
}

/**
 * Whether an IPC message comes from the renderer's own top-level page. Subframes get no API:
 * KernelLab has none, and a frame that appears is not one of ours.
 */
export function isTrustedFrame(frame: { url: string; parent: unknown } | null | undefined, source: RendererSource): boolean {
  return frame != null && frame.parent === null && isRendererUrl(frame.url, source);
}

/**
 * Sites a link in the app may open in the user's browser: the datasets' home pages. Anything
 * else (another scheme, plain http, any other host) is refused; the app itself never opens windows.
 */
export const externalHosts: readonly string[] = ['yann.lecun.com', 'github.com', 'www.cs.toronto.edu'];

export function opensExternally(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' && parsed.username === '' && parsed.password === '' && externalHosts.includes(parsed.hostname);
}

/** Permissions a page may have: none (no camera, microphone, notifications, geolocation, HID, USB, serial, MIDI…). */
export function permissionGranted(_permission: string): boolean {
  return false;
}
